package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * {@link CloseFrameGate} on its own: which close frame leaves, in every order the writers can come
 * in (a race over a real socket shows only now and then; here each order is made to happen).
 */
class CloseFrameGateTest {

    @Test
    void theFirstCloseWrittenIsTheOnlyOneSent() {
        EmbeddedChannel channel = gated();
        channel.writeOutbound(new CloseWebSocketFrame(1009, "message_too_big"));
        ChannelFuture late = channel.writeOneOutbound(new CloseWebSocketFrame(1000, null));
        ChannelFuture text = channel.writeOneOutbound(new TextWebSocketFrame("{\"type\":\"pong\"}"));
        channel.flushOutbound();
        assertClose(1009, "message_too_big", channel.readOutbound());
        assertNull(channel.readOutbound(), "nothing after the close frame");
        assertTrue(late.isSuccess(), "the dropped close counts as written, so Vert.x goes on to close");
        assertTrue(text.isSuccess());
    }

    @Test
    void theGuardsCloseGoesOutAndEndsTheConnection() {
        EmbeddedChannel channel = gated();
        FrameGuard.install(channel.pipeline(), 4);
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"ping\"}"));
        channel.runPendingTasks();
        assertClose(1009, "message_too_big", channel.readOutbound());
        assertTrue(!channel.isOpen(), "closed after its close frame");
    }

    @Test
    void aClientsCloseIsAnswered1000NormalWhateverItSaid() {
        EmbeddedChannel channel = gated();
        channel.writeInbound(new CloseWebSocketFrame(1001, "tab closed"));
        channel.writeOutbound(new CloseWebSocketFrame(1001, "tab closed")); // Vert.x's echo
        assertClose(1000, "normal", channel.readOutbound());
    }

    @Test
    void aCloseAfterTheClientsAnswerKeepsItsCode() {
        EmbeddedChannel channel = gated();
        channel.writeOutbound(new CloseWebSocketFrame(4006, "kicked"));
        channel.writeInbound(new CloseWebSocketFrame(4006, "kicked"));
        assertClose(4006, "kicked", channel.readOutbound());
    }

    @Test
    void aCloseWithoutAReasonGetsTheWordOfItsCode() {
        EmbeddedChannel normal = gated();
        normal.writeOutbound(new CloseWebSocketFrame(1000, null));
        assertClose(1000, "normal", normal.readOutbound());
        EmbeddedChannel fault = gated();
        fault.writeOutbound(new CloseWebSocketFrame(1011, null));
        assertClose(1011, "internal_error", fault.readOutbound());
        EmbeddedChannel unknown = gated();
        unknown.writeOutbound(new CloseWebSocketFrame(1008, null));
        assertClose(1011, "internal_error", unknown.readOutbound());
    }

    private static EmbeddedChannel gated() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("handler", new ChannelInboundHandlerAdapter());
        CloseFrameGate.install(channel.pipeline());
        return channel;
    }

    private static void assertClose(int code, String reason, Object written) {
        CloseWebSocketFrame close = (CloseWebSocketFrame) written;
        assertEquals(code + " " + reason, close.statusCode() + " " + close.reasonText());
        close.release();
    }
}
