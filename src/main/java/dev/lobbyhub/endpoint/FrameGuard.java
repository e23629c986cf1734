package dev.lobbyhub.endpoint;

import java.util.function.Consumer;

import dev.lobbyhub.protocol.CloseCode;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits in a connection's Netty pipeline between the WebSocket decoder and Vert.x, and enforces the
 * frame rules of RFC 6455 and {@code max-message-bytes} with the contract's close codes: a message
 * over the limit, in one frame or many, closes 1009 {@code message_too_big}; text that is not UTF-8
 * (checked by Netty's {@link Utf8FrameValidator}, placed just before) closes 1007
 * {@code invalid_payload}; reserved bits without an extension, and anything the decoder itself
 * refuses, close 1002 {@code protocol_error}.
 *
 * <p>
 * Left to Vert.x, such a failure closes the TCP connection without a close frame and the client
 * sees 1006. Here the close frame is written, the connection closed after it, and the session told
 * at once, on this event loop, so its lobby hears {@code member_left} {@code error} before the
 * connection's end could be taken for a plain leave; the session's own close, through Vert.x,
 * follows later and {@link CloseFrameGate} drops it. The decision uses the decoder's typed close
 * status, never an exception's text.
 */
final class FrameGuard extends ChannelInboundHandlerAdapter {

    private static final String NAME = "lobbyhub-frame-guard";
    private static final String UTF8_NAME = "lobbyhub-utf8";
    /** Vert.x's own handler, the last in the pipeline, and its idle timer (see {@link #opened()}). */
    private static final String VERTX_HANDLER = "handler";
    private static final String VERTX_IDLE = "idle";

    private final long maxMessageBytes;
    private long messageBytes;
    /** Set once, on the event loop, like everything in this handler. */
    private CloseCode violation;
    private Consumer<CloseCode> onViolation;
    private ChannelHandlerContext context;

    FrameGuard(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Puts a guard into the pipeline of a connection about to be upgraded, or finds the one already there. */
    static FrameGuard install(ChannelPipeline pipeline, long maxMessageBytes) {
        if (pipeline.get(NAME) instanceof FrameGuard existing) {
            return existing;
        }
        FrameGuard guard = new FrameGuard(maxMessageBytes);
        pipeline.addBefore(VERTX_HANDLER, UTF8_NAME, new Utf8FrameValidator(false));
        pipeline.addBefore(VERTX_HANDLER, NAME, guard);
        return guard;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.context = ctx;
    }

    /**
     * The upgrade succeeded: from now on the connection is governed by pings and the stale sweep,
     * not by the HTTP idle timeout, which stays for connections that never become WebSockets.
     * Called on the connection's event loop.
     */
    void opened() {
        ChannelHandlerContext ctx = context;
        if (ctx != null && ctx.pipeline().get(VERTX_IDLE) != null) {
            ctx.pipeline().remove(VERTX_IDLE);
        }
    }

    /**
     * Who closes the session when a frame breaks the rules; told at once if one already did. Called
     * on the connection's event loop once the session is admitted.
     */
    void onViolation(Consumer<CloseCode> action) {
        this.onViolation = action;
        if (violation != null) {
            action.accept(violation);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (violation != null) {
            ReferenceCountUtil.release(frame);
            return;
        }
        CloseCode broken = check(frame);
        if (broken != null) {
            ReferenceCountUtil.release(frame);
            violation(ctx, broken);
            return;
        }
        ctx.fireChannelRead(frame);
    }

    /** The close code this frame earns, or null when it may pass. */
    private CloseCode check(WebSocketFrame frame) {
        if (frame.rsv() != 0) {
            // Extensions (compression) clear the bits before this handler; any left were never negotiated.
            return CloseCode.PROTOCOL_ERROR;
        }
        if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame
                || frame instanceof ContinuationWebSocketFrame) {
            messageBytes += frame.content().readableBytes();
            if (messageBytes > maxMessageBytes) {
                return CloseCode.MESSAGE_TOO_BIG;
            }
            if (frame.isFinalFragment()) {
                messageBytes = 0;
            }
        }
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            if (violation == null) {
                violation(ctx, closeCode(corrupted.closeStatus()));
            }
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private static CloseCode closeCode(WebSocketCloseStatus status) {
        if (WebSocketCloseStatus.MESSAGE_TOO_BIG.equals(status)) {
            return CloseCode.MESSAGE_TOO_BIG;
        }
        if (WebSocketCloseStatus.INVALID_PAYLOAD_DATA.equals(status)) {
            return CloseCode.INVALID_PAYLOAD;
        }
        return CloseCode.PROTOCOL_ERROR;
    }

    private void violation(ChannelHandlerContext ctx, CloseCode code) {
        violation = code;
        ctx.writeAndFlush(new CloseWebSocketFrame(code.code(), code.reason())).addListener(ChannelFutureListener.CLOSE);
        if (onViolation != null) {
            onViolation.accept(code);
        }
    }
}
