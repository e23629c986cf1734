package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §13 on three packaged nodes and one Redis: 1,000 concurrent quick joins, spread over the nodes,
 * fill exactly 100 lobbies of 10 and never a locked or private one; reservations that run out while
 * their lobby fills free exactly their seats; with Redis frozen a quick join is answered 503 within
 * {@code redis-timeout}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterQuickJoinIT {

    /** Longer than a round of 1,000 calls takes on a busy machine: a reservation that ran out mid-race frees its seat. */
    private static final long RESERVATION_MS = 20_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Predicate<JsonObject> PING = frame -> "health_ping".equals(frame.getString("type"));

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("quickit").faultTimeouts()
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", "10")
                .env("LOBBYHUB_USERS_RESERVATION_TTL", RESERVATION_MS + "ms")
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void everyNodeReady() {
        cluster.awaitAllReady();
    }

    @AfterEach
    void closeSockets() throws Exception {
        sockets.forEach(TestSocket::close);
        if (!cluster.redis().isAlive()) {
            cluster.startRedis();
        }
    }

    private static CompletableFuture<HttpResponse<String>> quickJoin(int node, String user, JsonObject properties) {
        HttpRequest request = HttpRequest.newBuilder(cluster.base(node).resolve("/lobbies/quick-join"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + Tokens.valid(user))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("properties", properties).encode(),
                        StandardCharsets.UTF_8)).build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject placed(int node, String user, JsonObject properties) {
        HttpResponse<String> answer = quickJoin(node, user, properties).join();
        assertEquals(200, answer.statusCode(), answer::body);
        return new JsonObject(answer.body());
    }

    private static JsonObject lobby(int node, String code) {
        return cluster.admin().get(cluster.base(node), "/api/v1/lobbies/" + code).ok();
    }

    private TestSocket join(int node, String lobby, String user) {
        TestSocket socket = TestSocket.join(cluster.base(node), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    @Test
    @Order(1)
    void aThousandConcurrentQuickJoinsOverThreeNodesFillExactlyAHundredLobbies() throws Exception {
        for (int round = 0; round < 3; round++) {
            JsonObject mode = new JsonObject().put("mode", Tokens.unique("race"));
            // A locked and a private lobby of the same mode, with room: quick join must pass them by.
            String locked = Tokens.unique("locked");
            String hidden = Tokens.unique("hidden");
            join(0, locked, Tokens.unique("l")).expect("welcome");
            join(1, hidden, Tokens.unique("h")).expect("welcome");
            cluster.admin().patch(cluster.base(2), "/api/v1/lobbies/" + locked,
                    new JsonObject().put("visibility", "public").put("locked", true).put("properties", mode)).ok();
            cluster.admin().patch(cluster.base(2), "/api/v1/lobbies/" + hidden, new JsonObject().put("properties", mode)).ok();

            long roundStart = System.nanoTime();
            int players = 1000;
            Semaphore inFlight = new Semaphore(150);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>(players);
            for (int i = 0; i < players; i++) {
                inFlight.acquire();
                answers.add(quickJoin(i % 3, Tokens.unique("racer"), mode).whenComplete((r, e) -> inFlight.release()));
            }
            Map<String, Integer> perLobby = new TreeMap<>();
            int created = 0;
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode(), response::body);
                JsonObject joined = new JsonObject(response.body());
                perLobby.merge(joined.getString("lobby"), 1, Integer::sum);
                created += joined.getBoolean("created") ? 1 : 0;
            }
            long roundMs = (System.nanoTime() - roundStart) / 1_000_000;
            assertTrue(roundMs < RESERVATION_MS, "the round took " + roundMs + " ms: reservations ran out during it");
            assertEquals(100, perLobby.size(), "round " + round + ": " + perLobby);
            assertEquals(100, created, "round " + round);
            for (Map.Entry<String, Integer> lobby : perLobby.entrySet()) {
                assertEquals(10, lobby.getValue(), lobby.getKey());
            }
            // Redis agrees, asked through any node.
            String some = perLobby.keySet().iterator().next();
            for (int node = 0; node < 3; node++) {
                assertEquals(10, lobby(node, some).getInteger("reserved"), "node " + node);
            }
            assertEquals(0, lobby(0, locked).getInteger("reserved"), "a locked lobby takes nobody");
            assertEquals(0, lobby(0, hidden).getInteger("reserved"), "a private lobby takes nobody");
            sockets.forEach(TestSocket::close);
            sockets.clear();
        }
    }

    @Test
    @Order(2)
    void reservationsRunningOutWhileTheirLobbyFillsFreeExactlyTheirSeats() {
        JsonObject mode = new JsonObject().put("mode", Tokens.unique("fill"));
        List<String> users = new ArrayList<>();
        String code = null;
        for (int i = 0; i < 10; i++) {
            String user = Tokens.unique("p" + i);
            users.add(user);
            JsonObject joined = placed(i % 3, user, mode);
            code = code == null ? joined.getString("lobby") : code;
            assertEquals(code, joined.getString("lobby"));
        }
        // The lobby is full of reservations: a stranger is refused.
        TestSocket.connect(cluster.base(1), "/ws/" + code + "?token=" + Tokens.valid(Tokens.unique("stranger")))
                .expectRejected(4002, "lobby_full");
        // Half of the players come, on every node; the other half never do.
        TestSocket first = join(0, code, users.get(0));
        first.expect("welcome");
        for (int i = 1; i < 5; i++) {
            join(i % 3, code, users.get(i)).expectSkipping("welcome", PING);
            assertEquals(users.get(i), first.expectSkipping("member_joined", PING).getString("user_id"));
        }
        String lobby = code;
        Awaitility.await().atMost(Duration.ofMillis(RESERVATION_MS + 15_000))
                .until(() -> lobby(2, lobby).getInteger("reserved") == 0);
        assertEquals(5, lobby(2, lobby).getJsonArray("members").size());
        // Exactly their five seats are free again: five newcomers are placed there, the sixth elsewhere.
        for (int i = 0; i < 5; i++) {
            assertEquals(lobby, placed(i % 3, Tokens.unique("late"), mode).getString("lobby"));
        }
        assertTrue(placed(1, Tokens.unique("sixth"), mode).getBoolean("created"));
        // Nobody heard of the reservations that ran out: the first member's next frame is its own update.
        first.send(new JsonObject().put("type", "member_update").put("properties", new JsonObject().put("fence", 1)));
        assertEquals(users.get(0), first.expectSkipping("member_updated", PING).getString("user_id"));
    }

    @Test
    @Order(3)
    void withRedisFrozenAQuickJoinIsAnswered503WithinTheRedisTimeout() throws Exception {
        cluster.redis().freeze();
        try {
            long start = System.nanoTime();
            HttpResponse<String> answer = quickJoin(0, Tokens.unique("frozen"), new JsonObject().put("mode", "x")).join();
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(503, answer.statusCode(), answer::body);
            assertEquals("backplane_unavailable", new JsonObject(answer.body()).getString("error"));
            // redis-timeout is 1 s here; a busy machine gets a wide margin.
            assertTrue(tookMs < 6000, "answered after " + tookMs + " ms");
        } finally {
            cluster.redis().thaw();
        }
    }
}
