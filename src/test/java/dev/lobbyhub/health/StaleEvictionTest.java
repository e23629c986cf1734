package dev.lobbyhub.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** The test profile pings every 1 s and evicts after 3 s of silence. */
@QuarkusTest
public class StaleEvictionTest {

    private static final long STALE_AFTER_MS = 3000;
    private static final long PING_INTERVAL_MS = 1000;
    /**
     * SPEC §4 promises eviction within stale-after + ping-interval (4 s here). A busy CI machine can
     * be late by seconds, so the test only bounds the wait, wide, to end a broken build.
     */
    private static final Duration EVICTION_WAIT = Duration.ofSeconds(30);

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
    void silentClientIsEvictedAsStaleNotBeforeStaleAfterAndTheLobbyIsTold() {
        String lobby = Tokens.unique("lobby");
        String silent = Tokens.unique("silent");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")));
                TestSocket hung = TestSocket.join(base, lobby, Tokens.valid(silent)).stopAnsweringPings()) {
            hung.expect("welcome");
            watcher.expect("member_joined");
            // The client's last frame. The clock is read before it is sent, so the server's last inbound
            // frame is no earlier (server and test share this JVM's nanoTime).
            long lastFrameSent = System.nanoTime();
            hung.send(new JsonObject().put("type", "ping").put("id", "last"));
            assertEquals("last", hung.expect("pong").getString("id"));

            Awaitility.await().atMost(EVICTION_WAIT).until(hung::isClosed);
            long silenceMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastFrameSent);
            assertEquals(new TestSocket.Close(4004, "stale"), hung.awaitClose());
            // The close was seen after the server sent it, so a close seen this early means an early eviction.
            assertTrue(silenceMs >= STALE_AFTER_MS, "evicted after only " + silenceMs + " ms of silence");
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", silent).put("reason", "stale"),
                    Frames.withoutOffset(watcher.next()));
        }
    }

    @Test
    void clientThatAnswersPingsStaysPastStaleAfter() {
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("u")))) {
            // Answer pings past the point by which SPEC §4 evicts a silent client.
            long welcomed = System.nanoTime();
            while (System.nanoTime() - welcomed <= TimeUnit.MILLISECONDS.toNanos(STALE_AFTER_MS + PING_INTERVAL_MS)) {
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
            long welcomed = System.nanoTime();
            while (System.nanoTime() - welcomed <= TimeUnit.MILLISECONDS.toNanos(STALE_AFTER_MS + PING_INTERVAL_MS)) {
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
