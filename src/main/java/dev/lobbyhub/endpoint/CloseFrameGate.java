package dev.lobbyhub.endpoint;

import java.util.HashMap;
import java.util.Map;

import dev.lobbyhub.protocol.CloseCode;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Lets one close frame out of a connection, whoever writes it, and only with a SPEC §2 code and
 * reason. Three writers can close a connection: {@link FrameGuard} (straight into the pipeline,
 * unseen by Vert.x), Vert.x answering the client's close frame (it echoes the client's code and
 * reason, often {@code 1000} and none), and the transport closing the session (through Vert.x,
 * which knows nothing of the guard's close and sends its own). Each decides on its own, so the
 * first on the wire used to be a matter of timing; here the first one written is the one sent
 * and any later one is dropped, as RFC 6455 §5.5.1 wants nothing after a close frame.
 *
 * <p>
 * The close that answers a client's close is {@code 1000 normal}, whatever the client sent; a
 * close written without a reason gets the one its code stands for. Sits between the WebSocket
 * encoder and every writer (before {@link FrameGuard}), on the connection's event loop.
 */
final class CloseFrameGate extends ChannelDuplexHandler {

    private static final String NAME = "lobbyhub-close-gate";
    /** Vert.x's own handler, the last in the pipeline: every writer is at it or after the guard. */
    private static final String VERTX_HANDLER = "handler";
    /** The codes that mean one thing only (1013, 4002 and 4003 mean several, and are never sent without a reason). */
    private static final Map<Integer, CloseCode> BY_CODE = uniqueCodes();

    /** Event loop only, like everything in this handler. */
    private boolean clientClosed;
    private boolean closeSent;

    /** Puts a gate into the pipeline of a connection about to be upgraded, unless one is there. */
    static void install(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) == null) {
            pipeline.addBefore(VERTX_HANDLER, NAME, new CloseFrameGate());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CloseWebSocketFrame) {
            clientClosed = true;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.write(msg, promise);
            return;
        }
        if (closeSent) {
            // Told it was written: Vert.x then closes the connection as after its own close frame.
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            return;
        }
        if (msg instanceof CloseWebSocketFrame close) {
            closeSent = true;
            CloseCode code = clientClosed ? CloseCode.NORMAL : missingReason(close);
            if (code != null) {
                close.release();
                ctx.write(new CloseWebSocketFrame(code.code(), code.reason()), promise);
                return;
            }
        }
        ctx.write(msg, promise);
    }

    /** The code a close without a reason stands for, or null when it has one. */
    private static CloseCode missingReason(CloseWebSocketFrame close) {
        if (!close.reasonText().isEmpty()) {
            return null;
        }
        if (close.statusCode() < 0) {
            // No status at all: an orderly close with nothing to say.
            return CloseCode.NORMAL;
        }
        // A code outside the contract, sent without a word (a framework's own failure close): a server fault.
        return BY_CODE.getOrDefault(close.statusCode(), CloseCode.INTERNAL_ERROR);
    }

    private static Map<Integer, CloseCode> uniqueCodes() {
        Map<Integer, CloseCode> byCode = new HashMap<>();
        Map<Integer, Integer> uses = new HashMap<>();
        for (CloseCode code : CloseCode.values()) {
            byCode.put(code.code(), code);
            uses.merge(code.code(), 1, Integer::sum);
        }
        uses.forEach((code, count) -> {
            if (count > 1) {
                byCode.remove(code);
            }
        });
        return Map.copyOf(byCode);
    }
}
