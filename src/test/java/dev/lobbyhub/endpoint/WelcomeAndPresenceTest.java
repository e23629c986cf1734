package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

@QuarkusTest
public class WelcomeAndPresenceTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void firstFrameIsWelcomeWithEveryField() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket socket = TestSocket.join(base, lobby, Tokens.valid(alice))) {
            JsonObject welcome = socket.expect("welcome");
            assertFalse(welcome.getString("connection_id").isEmpty());
            assertEquals(alice, welcome.getString("user_id"));
            assertEquals(lobby, welcome.getString("lobby"));
            assertEquals(new JsonArray(List.of(alice)), welcome.getJsonArray("members"));
            assertTrue(welcome.getLong("ping_interval_ms") > 0);
            assertTrue(welcome.getLong("stale_after_ms") > welcome.getLong("ping_interval_ms"));
            assertEquals(65536, welcome.getInteger("max_message_bytes"));
        }
    }

    @Test
    void othersSeeJoinsAndLeavesAndTheWelcomeListsMembers() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice))) {
            TestSocket second = TestSocket.join(base, lobby, Tokens.valid(bob));
            JsonObject welcome = second.expect("welcome");
            assertEquals(new JsonArray(List.of(alice, bob)), welcome.getJsonArray("members"));
            assertEquals(2, welcome.getLong("offset"), "as of bob's own join, after alice's");
            assertEquals(new JsonObject().put("type", "member_joined").put("user_id", bob).put("offset", 2), first.next());

            second.close();
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", bob).put("reason", "left")
                    .put("offset", 3), first.next());
        }
    }

    /** Only a close frame with 1000 is a leave; a lost connection, a page going away (1001) or another code is a drop (SPEC §10). */
    @Test
    void aConnectionThatEndsWithoutANormalCloseFrameDropped() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")))) {
            String crashed = Tokens.unique("crashed");
            String reloading = Tokens.unique("reloading");
            String odd = Tokens.unique("odd");
            TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(crashed));
            TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(reloading));
            TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(odd));
            for (int i = 0; i < 3; i++) {
                watcher.expect("member_joined");
            }

            a.abort();
            assertEquals(List.of(crashed, "dropped"), userAndReason(watcher.expect("member_left")));
            b.closeWith(1001);
            assertEquals(List.of(reloading, "dropped"), userAndReason(watcher.expect("member_left")));
            c.closeWith(4000);
            assertEquals(List.of(odd, "dropped"), userAndReason(watcher.expect("member_left")));
        }
    }

    private static List<String> userAndReason(JsonObject left) {
        return List.of(left.getString("user_id"), left.getString("reason"));
    }

    @Test
    void tokenInAuthorizationHeaderIsAccepted() {
        String user = Tokens.unique("header");
        try (TestSocket socket = TestSocket.connect(base, "/ws/" + Tokens.unique("lobby"), Tokens.valid(user))) {
            assertEquals(user, socket.expect("welcome").getString("user_id"));
        }
    }

    @Test
    void queryTokenWinsOverHeader() {
        String user = Tokens.unique("query");
        String path = "/ws/" + Tokens.unique("lobby") + "?token=" + Tokens.valid(user);
        try (TestSocket socket = TestSocket.connect(base, path, "not-a-token")) {
            assertEquals(user, socket.expect("welcome").getString("user_id"));
        }
    }
}
