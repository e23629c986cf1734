package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * "Nothing else arrived" is checked with a fence: the sender whose frame could have gone astray sends
 * a later one that the receiver does get. One sender's messages arrive in order (SPEC §3), so anything
 * gone astray would have come before the fence.
 */
@QuarkusTest
public class RelayTest {

    @TestHTTPResource("/")
    URI base;

    private static void sendFence(TestSocket sender) {
        sender.send(new JsonObject().put("type", "lobby_message").put("data", "fence"));
    }

    /** The receiver's next frame is the fence from {@code senderId}. */
    private static void expectFence(TestSocket receiver, String senderId) {
        JsonObject next = receiver.next();
        assertEquals("lobby_message", next.getString("type"), () -> "expected the fence first, got " + next);
        assertEquals(senderId, next.getString("from"), next::encode);
        assertEquals("fence", next.getValue("data"), next::encode);
    }

    /** The sender's next frame answers its own later ping: an echo of what it sent before would come first. */
    private static void expectNoEcho(TestSocket sender) {
        sender.send(new JsonObject().put("type", "ping").put("id", "echo-fence"));
        JsonObject next = sender.next();
        assertEquals("pong", next.getString("type"), () -> "expected the pong first, got " + next);
        assertEquals("echo-fence", next.getString("id"));
    }

    /**
     * Moves a user to another lobby once every frame of its old connection has been handled: a connection's
     * frames are handled before its close, and the witness (in the old lobby) hears of the close.
     */
    private TestSocket moveTo(String lobby, String userId, TestSocket old, TestSocket witness) {
        old.close();
        assertEquals(new JsonObject().put("type", "member_left").put("user_id", userId).put("reason", "left"),
                Frames.withoutOffset(witness.next()));
        return TestSocket.joinWelcomed(base, lobby, Tokens.valid(userId));
    }

    @Test
    void lobbyMessageReachesEveryOtherMemberButNotTheSender() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("bob")));
                TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("carol")))) {
            a.expect("member_joined");
            a.expect("member_joined");
            b.expect("member_joined");
            long before = System.currentTimeMillis();
            JsonObject data = new JsonObject().put("move", new JsonArray().add(3).add(4)).put("note", "é✓");
            a.send(new JsonObject().put("type", "lobby_message").put("data", data).put("id", "m1"));
            for (TestSocket receiver : new TestSocket[] { b, c }) {
                JsonObject message = receiver.expect("lobby_message");
                assertEquals(alice, message.getString("from"));
                assertEquals(data, message.getJsonObject("data"));
                assertTrue(message.getLong("ts") >= before);
                assertEquals(4, message.getLong("offset"), "after the three joins in the lobby's log");
            }
            // The sender is told where its message is in the lobby's log (SPEC §11).
            assertEquals(new JsonObject().put("type", "ack").put("id", "m1").put("offset", 4), a.next());
            // Delivered once: each receiver's next frame is alice's next message.
            sendFence(a);
            expectFence(b, alice);
            expectFence(c, alice);
            expectNoEcho(a);
        }
    }

    @Test
    void lobbyMessagesDoNotCrossLobbies() {
        String one = Tokens.unique("one");
        String two = Tokens.unique("two");
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, one, Tokens.valid(alice));
                TestSocket x = TestSocket.joinWelcomed(base, one, Tokens.valid(Tokens.unique("x")));
                TestSocket b = TestSocket.joinWelcomed(base, two, Tokens.valid(Tokens.unique("b")))) {
            a.expect("member_joined");
            a.send(new JsonObject().put("type", "lobby_message").put("data", "only for lobby one"));
            assertEquals("only for lobby one", x.expect("lobby_message").getString("data"));
            // Alice can only reach b from lobby two: she moves there and sends a fence.
            try (TestSocket moved = moveTo(two, alice, a, x)) {
                assertEquals(new JsonObject().put("type", "member_joined").put("user_id", alice).put("offset", 2), b.next());
                sendFence(moved);
                expectFence(b, alice);
            }
        }
    }

    @Test
    void directMessageReachesOnlyItsRecipient() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob));
                TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("carol")))) {
            a.expect("member_joined");
            a.expect("member_joined");
            b.expect("member_joined");
            a.send(new JsonObject().put("type", "direct_message").put("to", bob).put("data", "psst"));
            JsonObject message = b.expect("direct_message");
            assertEquals(alice, message.getString("from"));
            assertEquals("psst", message.getString("data"));
            sendFence(a);
            expectFence(c, alice);
            expectFence(b, alice);
            expectNoEcho(a);
        }
    }

    @Test
    void directMessageToSomeoneOutsideTheLobbyIsUserNotFound() {
        String lobby = Tokens.unique("lobby");
        String other = Tokens.unique("other");
        String alice = Tokens.unique("alice");
        String outsider = Tokens.unique("outsider");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket w = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("w")));
                TestSocket o = TestSocket.joinWelcomed(base, other, Tokens.valid(outsider))) {
            a.expect("member_joined");
            a.send(new JsonObject().put("type", "direct_message").put("to", outsider).put("data", 1).put("id", 9));
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"));
            assertEquals(9, error.getInteger("ref"));
            // Alice can only reach the outsider from the outsider's lobby: she moves there and sends a fence.
            try (TestSocket moved = moveTo(other, alice, a, w)) {
                assertEquals(new JsonObject().put("type", "member_joined").put("user_id", alice).put("offset", 2), o.next());
                sendFence(moved);
                expectFence(o, alice);
            }
        }
    }

    /**
     * No user's id holds a lone surrogate (the token is refused, §1), so a direct message to one is for nobody. In
     * cluster mode it must not reach the user whose id is the same text with "?" in its place: that is what the
     * surrogate becomes in UTF-8, as it crosses Redis.
     */
    @Test
    void directMessageToALoneSurrogateIsUserNotFoundAndReachesNobody() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        String prefix = Tokens.unique("q");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket q = TestSocket.joinWelcomed(base, lobby, Tokens.valid(prefix + "?"))) {
            a.expect("member_joined");
            a.send("{\"type\":\"direct_message\",\"to\":\"" + prefix + "\\ud800\",\"data\":\"psst\",\"id\":7}");
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"), error::encode);
            assertEquals(7, error.getInteger("ref"));
            sendFence(a);
            expectFence(q, alice);
        }
    }

    @Test
    void directMessageToNobodyIsUserNotFound() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("a")))) {
            a.send(new JsonObject().put("type", "direct_message").put("to", "ghost").put("data", 1));
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"));
            assertTrue(!error.containsKey("ref"));
        }
    }

    /**
     * In cluster mode the welcome leaves from the thread that heard Redis answer, while the reply comes
     * in on the connection's own: a frame sent the moment the welcome arrives must still be read. (It was
     * dropped about once in fifty connections; a hundred tries catch that nearly always.)
     */
    @Test
    void aFrameSentTheMomentTheWelcomeArrivesIsAnswered() {
        for (int i = 0; i < 100; i++) {
            try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("a")))) {
                a.send(new JsonObject().put("type", "ping").put("id", i));
                assertEquals(i, a.expect("pong").getInteger("id"));
            }
        }
    }

    @Test
    void pingIsAnsweredWithPongEchoingTheId() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("a")))) {
            long before = System.currentTimeMillis();
            a.send(new JsonObject().put("type", "ping").put("id", "abc"));
            JsonObject pong = a.expect("pong");
            assertEquals("abc", pong.getString("id"));
            assertTrue(pong.getLong("ts") >= before);
            a.send(new JsonObject().put("type", "ping"));
            assertNull(a.expect("pong").getValue("id"));
        }
    }

    @Test
    void messagesFromOneSenderArriveInOrder() {
        String lobby = Tokens.unique("lobby");
        int count = 100; // the burst: all within the rate limit
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("b")))) {
            a.expect("member_joined");
            for (int i = 0; i < count; i++) {
                a.send(new JsonObject().put("type", "lobby_message").put("data", i));
            }
            for (int i = 0; i < count; i++) {
                assertEquals(i, b.expect("lobby_message").getInteger("data"));
            }
        }
    }
}
