package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

@QuarkusTest
class RelayTest {

    @TestHTTPResource("/")
    URI base;

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
            }
            // The sender's next frame answers its own ping: no echo of the lobby message came first.
            a.send(new JsonObject().put("type", "ping").put("id", 1));
            assertEquals("pong", a.next().getString("type"));
        }
    }

    @Test
    void lobbyMessagesDoNotCrossLobbies() {
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("one"), Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, Tokens.unique("two"), Tokens.valid(Tokens.unique("b")))) {
            a.send(new JsonObject().put("type", "lobby_message").put("data", "only for lobby one"));
            b.send(new JsonObject().put("type", "ping").put("id", "probe"));
            assertEquals("pong", b.next().getString("type"));
            assertEquals(0, b.pending());
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
            c.send(new JsonObject().put("type", "ping"));
            JsonObject pong = c.next();
            assertEquals("pong", pong.getString("type"), "carol saw something else first: " + pong);
            assertNull(pong.getValue("id"));
        }
    }

    @Test
    void directMessageToSomeoneOutsideTheLobbyIsUserNotFound() {
        String outsider = Tokens.unique("outsider");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("a")));
                TestSocket o = TestSocket.joinWelcomed(base, Tokens.unique("other"), Tokens.valid(outsider))) {
            a.send(new JsonObject().put("type", "direct_message").put("to", outsider).put("data", 1).put("id", 9));
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"));
            assertEquals(9, error.getInteger("ref"));
            o.send(new JsonObject().put("type", "ping"));
            assertEquals("pong", o.next().getString("type"));
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

    @Test
    void pingIsAnsweredWithPongEchoingTheId() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("a")))) {
            long before = System.currentTimeMillis();
            a.send(new JsonObject().put("type", "ping").put("id", "abc"));
            JsonObject pong = a.expect("pong");
            assertEquals("abc", pong.getString("id"));
            assertTrue(pong.getLong("ts") >= before);
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
