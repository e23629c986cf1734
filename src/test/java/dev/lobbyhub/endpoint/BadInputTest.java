package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

@QuarkusTest
public class BadInputTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void oversizeMessageClosesWith1009() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("big")))) {
            sender.send("{\"type\":\"lobby_message\",\"data\":\"" + "x".repeat(70_000) + "\"}");
            assertEquals(new TestSocket.Close(1009, "message_too_big"), sender.awaitClose());
        }
    }

    @Test
    void messageFarOverTheTransportLimitStillClosesWith1009() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("huge")))) {
            sender.send("{\"type\":\"lobby_message\",\"data\":\"" + "x".repeat(300_000) + "\"}");
            assertEquals(new TestSocket.Close(1009, "message_too_big"), sender.awaitClose());
        }
    }

    @Test
    void messageJustUnderTheLimitIsRelayed() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket receiver = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("b")))) {
            sender.expect("member_joined");
            String frame = "{\"type\":\"lobby_message\",\"data\":\"\"}";
            String payload = "y".repeat(65536 - frame.length());
            sender.send("{\"type\":\"lobby_message\",\"data\":\"" + payload + "\"}");
            assertEquals(payload, receiver.expect("lobby_message").getString("data"));
            assertFalse(sender.isClosed());
        }
    }

    @Test
    void notJson() {
        assertError("this is not json", "invalid_json", null);
    }

    @Test
    void emptyFrame() {
        assertError("", "invalid_json", null);
    }

    @Test
    void jsonButNotAnObject() {
        assertError("[1,2,3]", "invalid_json", null);
    }

    @Test
    void typeMissing() {
        assertError("{\"data\":1,\"id\":\"m1\"}", "invalid_message", "m1");
    }

    @Test
    void typeNotAString() {
        assertError("{\"type\":7,\"id\":3}", "invalid_message", 3);
    }

    @Test
    void typeNull() {
        assertError("{\"type\":null}", "invalid_message", null);
    }

    @Test
    void unknownType() {
        assertError("{\"type\":\"teleport\",\"id\":\"t\"}", "unknown_type", "t");
    }

    @Test
    void serverOnlyTypeFromClient() {
        assertError("{\"type\":\"welcome\"}", "unknown_type", null);
    }

    @Test
    void lobbyMessageWithoutData() {
        assertError("{\"type\":\"lobby_message\",\"id\":\"x\"}", "invalid_message", "x");
    }

    @Test
    void directMessageWithoutTo() {
        assertError("{\"type\":\"direct_message\",\"data\":1}", "invalid_message", null);
    }

    @Test
    void directMessageWithNumericTo() {
        assertError("{\"type\":\"direct_message\",\"to\":5,\"data\":1}", "invalid_message", null);
    }

    @Test
    void healthPongWithoutTimestamp() {
        assertError("{\"type\":\"health_pong\"}", "invalid_message", null);
    }

    @Test
    void binaryFrame() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket bad = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("bad")));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("other")))) {
            bad.expect("member_joined");
            bad.sendBinary(new byte[] { 1, 2, 3 });
            JsonObject error = bad.expect("error");
            assertEquals("binary_not_supported", error.getString("code"));
            assertStillWorking(bad, other);
        }
    }

    @Test
    void unknownExtraFieldsAreIgnored() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket receiver = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("b")))) {
            sender.expect("member_joined");
            sender.send("{\"type\":\"lobby_message\",\"data\":{\"k\":1},\"colour\":\"red\"}");
            assertEquals(new JsonObject().put("k", 1), receiver.expect("lobby_message").getJsonObject("data"));
        }
    }

    /**
     * Sends one bad frame: the sender gets exactly one error with the right code and ref; the other
     * member notices nothing (its next frame is the sender's following good message), and the
     * sender's connection keeps working.
     */
    private void assertError(String frame, String code, Object ref) {
        String lobby = Tokens.unique("lobby");
        try (TestSocket bad = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("bad")));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("other")))) {
            bad.expect("member_joined");
            bad.send(frame);
            JsonObject error = bad.expect("error");
            assertEquals(code, error.getString("code"));
            assertFalse(error.getString("message").isEmpty());
            assertEquals(ref, error.getValue("ref"));
            assertEquals(ref != null, error.containsKey("ref"));
            assertStillWorking(bad, other);
        }
    }

    private static void assertStillWorking(TestSocket bad, TestSocket other) {
        bad.send(new JsonObject().put("type", "lobby_message").put("data", "after"));
        assertEquals("after", other.expect("lobby_message").getString("data"));
        bad.send(new JsonObject().put("type", "ping").put("id", "p"));
        assertEquals("p", bad.expect("pong").getString("id"));
        assertFalse(bad.isClosed());
    }
}
