package dev.lobbyhub.delivery;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/**
 * A bucket of 10 refilled at 1 message a second, so a test can overrun it at will. Refills still
 * happen while a test runs, however fast, so the tests bound what a refill can change instead of
 * assuming none.
 *
 * <p>
 * The server's own health pings are out of the way: with a one-hour ping interval the only round
 * is the one at startup, over before any test connects. The only {@code health_ping}s are then the
 * admin API's, one at a time, so each answer is the one the server asked for and never charged.
 */
@QuarkusTest
@TestProfile(RateLimitTest.SmallBucket.class)
class RateLimitTest {

    static final int RATE = 1;
    static final int BURST = 10;
    /** Over the burst, and fewer than burst + burst, so the drops never reach the 4008 close. */
    static final int FLOOD = 15;
    static final long SECOND_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final Duration WAIT = Duration.ofSeconds(30);

    public static class SmallBucket implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.messages-per-second", Integer.toString(RATE),
                    "lobbyhub.limits.burst", Integer.toString(BURST),
                    "lobbyhub.health.ping-interval", "1h", "lobbyhub.health.stale-after", "2h");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    LobbyhubMetrics metrics;

    @BeforeEach
    void startupPingRoundIsOverAndTheAdminApiIsWarm() {
        // The sweep's first run is a ping round; the next one is an hour away.
        Awaitility.await().atMost(WAIT).until(() -> metrics.sweepTimer().count() >= 1);
        // A run's first admin call pays for class loading: paid here, it does not widen the time bounds below.
        given().header("Authorization", "Bearer test-admin-key").get("/api/v1/stats").then().statusCode(200);
    }

    /** {@code POST /users/{id}/ping}: true when the user's answer was handled within the timeout. */
    private static boolean adminPing(String userId) {
        Response response = given().header("Authorization", "Bearer test-admin-key")
                .queryParam("timeout_ms", WAIT.toMillis()).post("/api/v1/users/{id}/ping", userId);
        assertEquals(200, response.statusCode(), response::asString);
        return new JsonObject(response.asString()).getBoolean("alive");
    }

    @Test
    void floodPassesTheBurstPlusWhatRefilledAndIsToldAtMostOncePerSecond() {
        String lobby = Tokens.unique("lobby");
        String flooderId = Tokens.unique("f");
        try (TestSocket flooder = TestSocket.joinWelcomed(base, lobby, Tokens.valid(flooderId));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("o")))) {
            flooder.expect("member_joined");
            long start = System.nanoTime();
            for (int i = 0; i < FLOOD; i++) {
                flooder.send(new JsonObject().put("type", "lobby_message").put("data", i).put("id", "m" + i));
            }
            // The flooder answers this ping after its flood (one sender's frames are handled in order):
            // once the answer is in, the whole flood was handled, inside [start, handled].
            assertTrue(adminPing(flooderId), "the answer to the admin ping must get through");
            long handled = System.nanoTime();
            double floodSeconds = (double) (handled - start) / SECOND_NANOS;

            // Two refill periods after the flood the bucket holds two tokens: neither fence below can be dropped.
            long refilled = handled + 2 * SECOND_NANOS / RATE;
            Awaitility.await().atMost(WAIT).until(() -> System.nanoTime() >= refilled);
            // Fences, sent after the flood, so whatever the flood caused arrives before them.
            flooder.send(new JsonObject().put("type", "ping").put("id", "fence"));
            flooder.send(new JsonObject().put("type", "lobby_message").put("data", "after"));

            List<Integer> relayed = new ArrayList<>();
            for (JsonObject m = other.expect("lobby_message"); !"after".equals(m.getValue("data"));
                    m = other.expect("lobby_message")) {
                relayed.add(m.getInteger("data"));
            }
            // A full bucket passes the first BURST; later ones only on a token refilled during the flood.
            assertTrue(relayed.size() >= BURST, () -> "relayed " + relayed);
            assertEquals(IntStream.range(0, BURST).boxed().toList(), relayed.subList(0, BURST));
            for (int i = BURST; i < relayed.size(); i++) {
                assertTrue(relayed.get(i) > relayed.get(i - 1) && relayed.get(i) < FLOOD, () -> "relayed " + relayed);
            }
            double allowed = BURST + RATE * floodSeconds + 0.01; // the slack only absorbs rounding
            assertTrue(relayed.size() <= allowed,
                    () -> relayed.size() + " relayed, " + allowed + " allowed after " + floodSeconds + " s: " + relayed);

            List<Integer> dropped = IntStream.range(0, FLOOD).filter(i -> !relayed.contains(i)).boxed().toList();
            List<JsonObject> errors = new ArrayList<>();
            List<Integer> acknowledged = new ArrayList<>();
            for (JsonObject f = flooder.next(); !"pong".equals(f.getString("type")); f = flooder.next()) {
                if ("ack".equals(f.getString("type"))) {
                    acknowledged.add(Integer.parseInt(f.getString("id").substring(1)));
                } else {
                    errors.add(f);
                }
            }
            assertEquals(relayed, acknowledged, "each relayed message, and only those, acknowledged in order");
            for (JsonObject error : errors) {
                assertEquals("error", error.getString("type"), error::encode);
                assertEquals("rate_limited", error.getString("code"), error::encode);
                assertTrue(dropped.contains(Integer.parseInt(error.getString("ref").substring(1))), error::encode);
            }
            if (dropped.isEmpty()) {
                // Only possible when the flood took long enough for every message to find a token.
                assertEquals(List.of(), errors);
            } else {
                // The first drop is told; later ones at most once a second.
                assertFalse(errors.isEmpty(), () -> "dropped " + dropped + " without an error");
                assertEquals("m" + dropped.get(0), errors.get(0).getString("ref"));
                assertTrue(errors.size() <= 1 + (long) floodSeconds,
                        () -> errors.size() + " errors in " + floodSeconds + " s: " + errors);
            }
            assertFalse(flooder.isClosed());
        }
    }

    @Test
    void theAnswerToTheServersPingIsNotChargedButARepeatIs() throws Exception {
        String userId = Tokens.unique("c");
        try (TestSocket client = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(userId))
                .stopAnsweringPings()) {
            CompletableFuture<Boolean> asked = CompletableFuture.supplyAsync(() -> adminPing(userId));
            long timestamp = client.nextHealthPing().getLong("timestamp");
            long start = System.nanoTime();
            for (int i = 0; i < BURST; i++) {
                client.send(new JsonObject().put("type", "ping").put("id", "p" + i));
            }
            // The bucket is empty now (bar a refill): the answer still goes through, the same answer again does not.
            client.send(new JsonObject().put("type", "health_pong").put("timestamp", timestamp).put("id", "answer"));
            client.send(new JsonObject().put("type", "health_pong").put("timestamp", timestamp).put("id", "again"));
            for (int i = 0; i < BURST; i++) {
                assertEquals("p" + i, client.expect("pong").getString("id"));
            }
            assertTrue(asked.get(WAIT.toSeconds(), TimeUnit.SECONDS), "the answer was dropped");

            // A second admin ping, answered after the repeat: once it is in, the repeat was handled.
            CompletableFuture<Boolean> marker = CompletableFuture.supplyAsync(() -> adminPing(userId));
            client.send(new JsonObject().put("type", "health_pong")
                    .put("timestamp", client.nextHealthPing().getLong("timestamp")));
            assertTrue(marker.get(WAIT.toSeconds(), TimeUnit.SECONDS));
            double seconds = (double) (System.nanoTime() - start) / SECOND_NANOS;
            if (seconds < 1.0 / RATE) {
                // No token can have come back since the bucket was full: the repeat was dropped, and told.
                Awaitility.await("the error for the repeat").atMost(WAIT).until(() -> client.pending() > 0);
                JsonObject error = client.expect("error");
                assertEquals("rate_limited", error.getString("code"));
                assertEquals("again", error.getString("ref"));
            }
            // Slower, a refill may have paid for the repeat; still, nothing may have charged the answer.
            while (client.pending() > 0) {
                JsonObject frame = client.next();
                assertEquals("again", frame.getString("ref"), frame::encode);
            }
        }
    }

    @Test
    void keepsFloodingIsClosedWith4008AndTheLobbyIsTold() {
        String lobby = Tokens.unique("lobby");
        String flooderId = Tokens.unique("f");
        try (TestSocket flooder = TestSocket.joinWelcomed(base, lobby, Tokens.valid(flooderId));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("o")))) {
            flooder.expect("member_joined");
            for (int i = 0; i < 40; i++) {
                flooder.send(new JsonObject().put("type", "ping"));
            }
            assertEquals(new TestSocket.Close(4008, "rate_limited"), flooder.awaitClose());
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", flooderId)
                    .put("reason", "rate_limited"), Frames.withoutOffset(other.expectSkipping("member_left", m -> false)));
        }
    }
}
