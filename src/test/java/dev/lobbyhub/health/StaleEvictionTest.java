package dev.lobbyhub.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** The test profile pings every 1 s and evicts after 3 s of silence. */
@QuarkusTest
class StaleEvictionTest {

    private static final long STALE_AFTER_MS = 3000;
    private static final long PING_INTERVAL_MS = 1000;
    /** The scheduler behind the sweep ticks once a second. */
    private static final long SCHEDULER_TICK_MS = 1000;

    @TestHTTPResource("/")
    URI base;

    @Test
    void serverPingsWithTheCurrentTime() {
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("u")))) {
            long before = System.currentTimeMillis();
            JsonObject ping = socket.nextHealthPing();
            long timestamp = ping.getLong("timestamp");
            assertTrue(timestamp >= before - 2 * PING_INTERVAL_MS && timestamp <= System.currentTimeMillis(),
                    "timestamp " + timestamp);
        }
    }

    @Test
    void silentClientIsEvictedAsStaleAndTheLobbyIsTold() {
        String lobby = Tokens.unique("lobby");
        String silent = Tokens.unique("silent");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")));
                TestSocket hung = TestSocket.join(base, lobby, Tokens.valid(silent)).stopAnsweringPings()) {
            hung.expect("welcome");
            long lastFrame = System.currentTimeMillis();
            watcher.expect("member_joined");
            TestSocket.Close close = hung.awaitClose();
            long silence = System.currentTimeMillis() - lastFrame;
            assertEquals(new TestSocket.Close(4004, "stale"), close);
            assertTrue(silence >= STALE_AFTER_MS, "evicted after only " + silence + " ms");
            assertTrue(silence <= STALE_AFTER_MS + PING_INTERVAL_MS + SCHEDULER_TICK_MS + 500,
                    "evicted only after " + silence + " ms");
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", silent).put("reason", "stale"),
                    watcher.next());
        }
    }

    @Test
    void clientThatAnswersPingsStaysPastStaleAfter() {
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("u")))) {
            // Five pings answered span more than stale-after (3 s).
            for (int i = 0; i < 5; i++) {
                socket.nextHealthPing();
            }
            assertFalse(socket.isClosed());
            socket.send(new JsonObject().put("type", "ping").put("id", "still"));
            assertEquals("still", socket.expect("pong").getString("id"));
        }
    }

    @Test
    void anyFrameProvesAliveEvenWithoutPongs() {
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("u")))
                .stopAnsweringPings()) {
            for (int i = 0; i < 5; i++) {
                socket.nextHealthPing();
                socket.send(new JsonObject().put("type", "ping"));
                socket.expect("pong");
            }
            assertFalse(socket.isClosed());
        }
    }

    @Test
    void droppedConnectionLeavesTheLobby() {
        String lobby = Tokens.unique("lobby");
        String crashed = Tokens.unique("crashed");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("w")))) {
            TestSocket gone = TestSocket.joinWelcomed(base, lobby, Tokens.valid(crashed));
            watcher.expect("member_joined");
            gone.abort();
            JsonObject left = watcher.expect("member_left");
            assertEquals(crashed, left.getString("user_id"));
        }
    }
}
