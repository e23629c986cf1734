package dev.lobbyhub.endpoint;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * Frames written straight to the connection's Netty channel, without a completion per frame, and
 * flushed once per drain instead of once per frame. A completion per frame (what
 * {@code writeTextMessage} asks for) was a fifth of the server's CPU in a fan-out profile; the
 * backlog is read instead from the channel's own count of pending bytes, which Netty keeps anyway.
 *
 * <p>
 * A failed write needs no handling here: Netty closes the channel on a write error, and the
 * endpoint's close hook cleans up as for any lost connection.
 */
final class ChannelFrameWriter implements FrameWriter {

    /** What Netty adds to its pending count per buffer on top of the bytes (the same property, the same default). */
    private static final long ENTRY_OVERHEAD = Math.max(0,
            Integer.getInteger("io.netty.transport.outboundBufferEntrySizeOverhead", 96));

    private final ChannelHandlerContext context;
    /** Kept to reach the outbound buffer in fewer steps: the health sweep asks every connection each second. */
    private final Channel.Unsafe channel;
    private final ChannelPromise noCompletion;
    private final int maxFrameSize;
    /** Frame bytes handed over in all; event loop only. */
    private long handed;
    private volatile long written;

    /** Writes through {@code context}: the last handler's, so that frames pass the WebSocket encoder. */
    ChannelFrameWriter(ChannelHandlerContext context, int maxFrameSize) {
        this.context = context;
        this.channel = context.channel().unsafe();
        this.noCompletion = new VoidChannelPromise(context.channel(), false);
        this.maxFrameSize = maxFrameSize;
    }

    @Override
    public long backlog() {
        ChannelOutboundBuffer buffer = channel.outboundBuffer();
        long pending = buffer == null ? 0
                : Math.max(0, buffer.totalPendingWriteBytes() - ENTRY_OVERHEAD * buffer.size());
        written = handed - pending;
        return pending;
    }

    @Override
    public long write(String text, long room) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > room) {
            return -1;
        }
        int offset = 0;
        do {
            // Split at the server's frame size, as Vert.x does, for clients that limit frame sizes.
            int length = Math.min(maxFrameSize, utf8.length - offset);
            boolean last = offset + length == utf8.length;
            ByteBuf part = Unpooled.wrappedBuffer(utf8, offset, length);
            context.write(offset == 0 ? new TextWebSocketFrame(last, 0, part) : new ContinuationWebSocketFrame(last, 0, part),
                    noCompletion);
            handed += headerBytes(length) + length;
            offset += length;
        } while (offset < utf8.length);
        return utf8.length;
    }

    @Override
    public void flush() {
        context.flush();
    }

    @Override
    public boolean backlogged() {
        ChannelOutboundBuffer buffer = channel.outboundBuffer();
        return buffer != null && buffer.totalPendingWriteBytes() > 0;
    }

    @Override
    public long progress() {
        return written;
    }

    /** The header of an unmasked frame (RFC 6455 §5.2), as Netty's encoder writes it. */
    private static int headerBytes(int payload) {
        return payload <= 125 ? 2 : payload <= 0xFFFF ? 4 : 10;
    }
}
