package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * SPEC §2: the close frame a client reads is always its rule's code and reason, never a bare
 * {@code 1000} that another close got out first. A race shows only now and then, so every case is
 * tried {@value #TRIES} times, and the close frame is read off the wire (a client library may
 * report its own idea of the close instead).
 */
@QuarkusTest
public class CloseFrameRaceTest {

    private static final int TRIES = 50;
    /** max-message-bytes of the test profile (the default). */
    private static final int LIMIT = 65536;
    private static final TestSocket.Close TOO_BIG = new TestSocket.Close(1009, "message_too_big");
    private static final TestSocket.Close INVALID_PAYLOAD = new TestSocket.Close(1007, "invalid_payload");
    private static final TestSocket.Close PROTOCOL_ERROR = new TestSocket.Close(1002, "protocol_error");
    private static final TestSocket.Close NORMAL = new TestSocket.Close(1000, "normal");
    private static final byte[] PING = "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8);

    @TestHTTPResource("/")
    URI base;

    @Test
    void messageJustOverTheLimitAlwaysCloses1009() throws Exception {
        byte[] message = json(LIMIT + 1);
        assertEveryCloseIs(TOO_BIG, raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, message));
    }

    @Test
    void frameOverTheTransportCeilingAlwaysCloses1009() throws Exception {
        byte[] message = json(1_000_000);
        assertEveryCloseIs(TOO_BIG, raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, message));
    }

    @Test
    void fragmentsOverTheLimitAlwaysClose1009() throws Exception {
        byte[] message = json(LIMIT + 10);
        int half = message.length / 2;
        assertEveryCloseIs(TOO_BIG, raw -> {
            raw.sendFrame(false, 0, RawWebSocket.TEXT, Arrays.copyOfRange(message, 0, half));
            raw.sendFrame(true, 0, RawWebSocket.CONTINUATION, Arrays.copyOfRange(message, half, message.length));
        });
    }

    @Test
    void textThatIsNotUtf8AlwaysCloses1007() throws Exception {
        byte[] broken = "{\"type\":\"ping\",\"id\":\"?\"}".getBytes(StandardCharsets.US_ASCII);
        broken[broken.length - 3] = (byte) 0xC3; // a lead byte followed by '"'
        assertEveryCloseIs(INVALID_PAYLOAD, raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, broken));
    }

    @Test
    void reservedOpcodeAlwaysCloses1002() throws Exception {
        assertEveryCloseIs(PROTOCOL_ERROR, raw -> raw.sendFrame(true, 0, 0x3, new byte[] { 1 }));
    }

    @Test
    void reservedBitsAlwaysClose1002() throws Exception {
        assertEveryCloseIs(PROTOCOL_ERROR, raw -> raw.sendFrame(true, 0b100, RawWebSocket.TEXT, PING));
    }

    @Test
    void continuationWithoutAStartAlwaysCloses1002() throws Exception {
        assertEveryCloseIs(PROTOCOL_ERROR, raw -> raw.sendFrame(true, 0, RawWebSocket.CONTINUATION, PING));
    }

    @Test
    void unmaskedClientFrameAlwaysCloses1002() throws Exception {
        assertEveryCloseIs(PROTOCOL_ERROR, raw -> raw.sendFrame(true, 0, RawWebSocket.TEXT, PING, false));
    }

    @Test
    void clientsNormalCloseIsAnswered1000Normal() throws Exception {
        assertEveryCloseIs(NORMAL, raw -> raw.sendClose(1000, "bye"));
    }

    @Test
    void clientGoingAwayIsAnswered1000Normal() throws Exception {
        assertEveryCloseIs(NORMAL, raw -> raw.sendClose(1001, ""));
    }

    interface RawSend {
        void send(RawWebSocket raw) throws IOException;
    }

    /** {@value #TRIES} connections, each welcomed and then sent {@code bad}; every close frame must be {@code expected}. */
    private void assertEveryCloseIs(TestSocket.Close expected, RawSend bad) throws Exception {
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < TRIES; i++) {
            seen.merge(closeAfter(bad), 1, Integer::sum);
        }
        String wanted = expected.code() + " \"" + expected.reason() + "\"";
        assertEquals(Map.of(wanted, TRIES), seen, () -> "close frames seen in " + TRIES + " tries");
    }

    /** The close frame read off the wire, as {@code code "reason"}. */
    private String closeAfter(RawSend bad) throws Exception {
        String path = "/ws/" + Tokens.unique("race") + "?token=" + Tokens.valid(Tokens.unique("racer"));
        try (RawWebSocket raw = RawWebSocket.connect(base, path)) {
            assertTrue(raw.nextText().contains("\"welcome\""));
            // Written from another thread: the server may close before a large frame is fully sent.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    bad.send(raw);
                } catch (IOException closedEarly) {
                    // expected for frames the server refuses from their header
                }
            });
            TestSocket.Close close = raw.awaitClose();
            sent.join();
            return close.code() + " \"" + close.reason() + "\"";
        }
    }

    /** A lobby_message frame of exactly this many bytes. */
    private static byte[] json(int bytes) {
        String head = "{\"type\":\"lobby_message\",\"data\":\"";
        String tail = "\"}";
        return (head + "x".repeat(bytes - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }
}
