package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** {@code on-duplicate=replace} (the default): the newer connection wins, the older is closed 4005. */
@QuarkusTest
public class DuplicateUserTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void reconnectInSameLobbyReplacesSilently() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")));
                TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice))) {
            watcher.expect("member_joined");
            try (TestSocket second = TestSocket.join(base, lobby, Tokens.valid(alice))) {
                JsonObject welcome = second.expect("welcome");
                assertEquals(2, welcome.getJsonArray("members").size());
                assertEquals(new TestSocket.Close(4005, "replaced"), first.awaitClose());
                // The watcher saw no leave or join: its next frame is the new connection's message.
                second.send(new JsonObject().put("type", "lobby_message").put("data", "still here"));
                JsonObject next = watcher.next();
                assertEquals("lobby_message", next.getString("type"), "watcher saw " + next);
                assertEquals(alice, next.getString("from"));
            }
        }
    }

    @Test
    void reconnectIntoFullLobbyTakesTheOldSeat() {
        String lobby = Tokens.unique("full");
        String alice = Tokens.unique("alice");
        List<TestSocket> members = new ArrayList<>();
        try {
            members.add(TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice)));
            for (int i = 1; i < 10; i++) {
                members.add(TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("m"))));
            }
            try (TestSocket again = TestSocket.join(base, lobby, Tokens.valid(alice))) {
                assertEquals(10, again.expect("welcome").getJsonArray("members").size());
                assertEquals(new TestSocket.Close(4005, "replaced"), members.get(0).awaitClose());
            }
        } finally {
            members.forEach(TestSocket::close);
        }
    }

    @Test
    void reconnectInAnotherLobbyLeavesTheFirstWithReasonReplaced() {
        String oldLobby = Tokens.unique("old");
        String alice = Tokens.unique("alice");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, oldLobby, Tokens.valid(Tokens.unique("w")));
                TestSocket first = TestSocket.joinWelcomed(base, oldLobby, Tokens.valid(alice))) {
            watcher.expect("member_joined");
            try (TestSocket second = TestSocket.joinWelcomed(base, Tokens.unique("new"), Tokens.valid(alice))) {
                assertEquals(new TestSocket.Close(4005, "replaced"), first.awaitClose());
                assertEquals(new JsonObject().put("type", "member_left").put("user_id", alice).put("reason", "replaced")
                        .put("offset", 3), watcher.next(), "the watcher's join, alice's join, alice's leave");
                second.send(new JsonObject().put("type", "ping").put("id", "alive"));
                assertEquals("alive", second.expect("pong").getString("id"));
            }
        }
    }

    @Test
    void closingTheReplacedConnectionLeavesTheNewOneInPlace() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("w")));
                TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket second = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice))) {
            watcher.expect("member_joined");
            first.awaitClose();
            watcher.send(new JsonObject().put("type", "direct_message").put("to", alice).put("data", "hi"));
            assertEquals("hi", second.expect("direct_message").getString("data"));
        }
    }
}
