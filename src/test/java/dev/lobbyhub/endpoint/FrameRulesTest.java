package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §2: frames that break RFC 6455 or the size limit close the connection with their own code
 * and reason, whatever their framing; the lobby hears {@code member_left} {@code error} and nothing
 * of the bad message. Raw frames, since no browser can send most of them.
 */
@QuarkusTest
public class FrameRulesTest {

    /** max-message-bytes of the test profile (the default). */
    private static final int LIMIT = 65536;

    @TestHTTPResource("/")
    URI base;

    @Test
    void oneFrameFarOverTheTransportCeilingCloses1009() throws Exception {
        assertClosedAndAnnounced(new TestSocket.Close(1009, "message_too_big"),
                raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, json(1_000_000)));
    }

    @Test
    void oneFrameJustOverTheLimitCloses1009() throws Exception {
        assertClosedAndAnnounced(new TestSocket.Close(1009, "message_too_big"),
                raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, json(LIMIT + 1)));
    }

    @Test
    void fragmentsAddingUpOverTheLimitClose1009() throws Exception {
        byte[] message = json(LIMIT + 10);
        int third = message.length / 3;
        assertClosedAndAnnounced(new TestSocket.Close(1009, "message_too_big"), raw -> {
            raw.sendFrame(false, 0, RawWebSocket.TEXT, Arrays.copyOfRange(message, 0, third));
            raw.sendFrame(false, 0, RawWebSocket.CONTINUATION, Arrays.copyOfRange(message, third, 2 * third));
            raw.sendFrame(true, 0, RawWebSocket.CONTINUATION, Arrays.copyOfRange(message, 2 * third, message.length));
        });
    }

    @Test
    void binaryFrameOverTheLimitCloses1009() throws Exception {
        assertClosedAndAnnounced(new TestSocket.Close(1009, "message_too_big"),
                raw -> raw.sendFrame(true, 0, RawWebSocket.BINARY, new byte[200_000]));
    }

    @Test
    void textThatIsNotUtf8Closes1007() throws Exception {
        byte[] broken = "{\"type\":\"lobby_message\",\"data\":\"?\"}".getBytes(StandardCharsets.US_ASCII);
        broken[broken.length - 3] = (byte) 0xC3; // a lead byte followed by '"', not a continuation byte
        assertClosedAndAnnounced(new TestSocket.Close(1007, "invalid_payload"),
                raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, broken));
    }

    @Test
    void utf8SequenceCutAtTheEndOfAMessageCloses1007() throws Exception {
        byte[] start = "{\"type\":\"lobby_message\",\"data\":\"".getBytes(StandardCharsets.US_ASCII);
        assertClosedAndAnnounced(new TestSocket.Close(1007, "invalid_payload"), raw -> {
            raw.sendFrame(false, 0, RawWebSocket.TEXT, start);
            raw.sendFrame(true, 0, RawWebSocket.CONTINUATION, new byte[] { (byte) 0xE2, (byte) 0x82 });
        });
    }

    @Test
    void reservedBitWithoutAnExtensionCloses1002() throws Exception {
        assertClosedAndAnnounced(new TestSocket.Close(1002, "protocol_error"),
                raw -> raw.sendFrame(true, 0b100, RawWebSocket.TEXT, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void unknownOpcodeCloses1002() throws Exception {
        assertClosedAndAnnounced(new TestSocket.Close(1002, "protocol_error"),
                raw -> raw.sendFrame(true, 0, 0x3, new byte[] { 1 }));
    }

    @Test
    void validMultiByteTextSplitAcrossFragmentsIsRelayed() throws Exception {
        String lobby = Tokens.unique("frames");
        try (TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("other")));
                RawWebSocket raw = RawWebSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(Tokens.unique("raw")))) {
            raw.nextText();
            other.expect("member_joined");
            byte[] message = "{\"type\":\"lobby_message\",\"data\":\"€uro\"}".getBytes(StandardCharsets.UTF_8);
            int cut = "{\"type\":\"lobby_message\",\"data\":\"".length() + 1; // inside the three bytes of €
            raw.sendFrame(false, 0, RawWebSocket.TEXT, Arrays.copyOfRange(message, 0, cut));
            raw.sendFrame(true, 0, RawWebSocket.CONTINUATION, Arrays.copyOfRange(message, cut, message.length));
            assertEquals("€uro", other.expect("lobby_message").getString("data"));
        }
    }

    /** SPEC §4: a WebSocket ping frame proves the connection alive, like any other frame. */
    @Test
    void pingFramesAloneKeepAConnectionAlive() throws Exception {
        String lobby = Tokens.unique("frames");
        try (RawWebSocket raw = RawWebSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(Tokens.unique("pinger")))) {
            assertTrue(raw.nextText().contains("\"welcome\""));
            // Test profile: stale-after 3s, ping-interval 1s. Silent but for pings, for twice the time that evicts.
            long until = System.nanoTime() + 2 * (3_000 + 1_000) * 1_000_000L;
            int pongs = 0;
            while (System.nanoTime() < until) {
                raw.sendFrame(true, 0, RawWebSocket.PING, new byte[] { 7 });
                RawWebSocket.Frame frame;
                do {
                    frame = raw.readFrame(); // health_pings (unanswered) until the pong of this ping
                    assertFalse(frame.opcode() == RawWebSocket.CLOSE, () -> "closed while pinging");
                } while (frame.opcode() != RawWebSocket.PONG);
                pongs++;
            }
            raw.sendText("{\"type\":\"ping\",\"id\":\"still-here\"}");
            assertTrue(raw.nextText().contains("still-here"));
            assertTrue(pongs > 1);
        }
    }

    interface RawSend {
        void send(RawWebSocket raw) throws IOException;
    }

    /**
     * The raw client sends the bad frame(s); it gets the close, while another member of its lobby
     * gets {@code member_left} {@code error} as its very next frame (nothing of the bad message
     * was relayed first) and stays connected.
     */
    private void assertClosedAndAnnounced(TestSocket.Close expected, RawSend bad) throws Exception {
        String lobby = Tokens.unique("frames");
        String badUser = Tokens.unique("bad");
        try (TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("other")));
                RawWebSocket raw = RawWebSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(badUser))) {
            assertTrue(raw.nextText().contains("\"welcome\""));
            assertEquals(badUser, other.expect("member_joined").getString("user_id"));
            // Written from another thread: the server may close before a large frame is fully sent.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    bad.send(raw);
                } catch (IOException closedEarly) {
                    // expected for frames the server refuses from their header
                }
            });
            assertEquals(expected, raw.awaitClose());
            sent.join();
            JsonObject left = other.next();
            assertEquals("member_left", left.getString("type"), left::encode);
            assertEquals(badUser, left.getString("user_id"));
            assertEquals("error", left.getString("reason"));
            other.send(new JsonObject().put("type", "ping").put("id", "ok"));
            assertEquals("ok", other.expect("pong").getString("id"));
        }
    }

    /** A lobby_message frame of exactly this many bytes. */
    private static byte[] json(int bytes) {
        String head = "{\"type\":\"lobby_message\",\"data\":\"";
        String tail = "\"}";
        return (head + "x".repeat(bytes - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }
}
