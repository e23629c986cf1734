package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Frames written to a real Netty pipeline with the server's WebSocket encoder, to a "client" that
 * reads only as many bytes as the test lets it, and decoded again as a client would.
 */
class ChannelFrameWriterTest {

    private final HeldChannel channel = new HeldChannel();
    private final ChannelFrameWriter writer = new ChannelFrameWriter(channel.pipeline().lastContext(), 128);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void theBacklogIsTheFrameBytesTheClientHasNotRead() {
        assertEquals(10, writer.write("0123456789", 1000));
        assertEquals(10, writer.write("0123456789", 1000));
        writer.flush();

        assertEquals(24, writer.backlog(), "two frames of a 2-byte header and 10 bytes each");
        assertTrue(writer.backlogged());
        assertEquals(0, writer.progress());

        channel.clientReads(12);
        assertEquals(12, writer.backlog());
        assertEquals(12, writer.progress(), "progress is the bytes the client took");

        channel.clientReads(12);
        assertEquals(0, writer.backlog());
        assertFalse(writer.backlogged());
        assertEquals(24, writer.progress());
    }

    @Test
    void aFrameOverTheRoomIsNotWritten() {
        assertEquals(-1, writer.write("é".repeat(5), 9), "10 UTF-8 bytes, not 5 characters");
        writer.flush();

        assertEquals(0, writer.backlog());
        assertTrue(channel.clientReadsAll().isEmpty());
    }

    @Test
    void framesOverTheFrameSizeAreSplitIntoContinuations() {
        String text = "é".repeat(150);
        assertEquals(300, writer.write(text, 1000));
        writer.flush();

        List<WebSocketFrame> frames = channel.clientReadsAll();

        assertEquals(3, frames.size());
        assertTrue(frames.get(0) instanceof TextWebSocketFrame);
        assertTrue(frames.get(1) instanceof ContinuationWebSocketFrame);
        assertTrue(frames.get(2) instanceof ContinuationWebSocketFrame);
        assertEquals(List.of(false, false, true), frames.stream().map(WebSocketFrame::isFinalFragment).toList());
        ByteBuf joined = Unpooled.buffer();
        frames.forEach(frame -> joined.writeBytes(frame.content()));
        assertEquals(text, joined.toString(StandardCharsets.UTF_8));
        joined.release();
        frames.forEach(WebSocketFrame::release);
        assertEquals(0, writer.backlog());
        assertEquals(300 + 4 + 4 + 2, writer.progress(), "payload and the three frames' headers");
    }

    /** A channel whose peer reads only what the test allows; what it read can be decoded as a client would. */
    private static final class HeldChannel extends EmbeddedChannel {
        private long allowed;
        private final List<ByteBuf> read = new ArrayList<>();

        HeldChannel() {
            super(new WebSocket08FrameEncoder(false), new ChannelInboundHandlerAdapter());
        }

        void clientReads(long bytes) {
            allowed += bytes;
            flush();
        }

        List<WebSocketFrame> clientReadsAll() {
            clientReads(Long.MAX_VALUE / 2);
            EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 65536, false));
            read.forEach(client::writeInbound);
            read.clear();
            List<WebSocketFrame> frames = new ArrayList<>();
            WebSocketFrame frame;
            while ((frame = client.readInbound()) != null) {
                frames.add(frame);
            }
            client.finishAndReleaseAll();
            return frames;
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) {
            ByteBuf current;
            while (allowed > 0 && (current = (ByteBuf) in.current()) != null) {
                int take = (int) Math.min(allowed, current.readableBytes());
                read.add(current.retainedSlice(current.readerIndex(), take));
                allowed -= take;
                in.removeBytes(take);
            }
        }
    }
}
