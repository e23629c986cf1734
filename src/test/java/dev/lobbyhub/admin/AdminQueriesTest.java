package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.ClusterModeResource;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** SPEC §7 read-only queries: stats, lobby list and detail, user lookup. */
@QuarkusTest
public class AdminQueriesTest {

    @TestHTTPResource("/")
    URI base;

    static RequestSpecification admin() {
        return given().header("Authorization", "Bearer test-admin-key");
    }

    static JsonObject ok(Response response) {
        assertEquals(200, response.statusCode(), response::asString);
        assertTrue(response.contentType().startsWith("application/json"), response.contentType());
        return new JsonObject(response.asString());
    }

    static JsonObject error(Response response, int status) {
        assertEquals(status, response.statusCode(), response::asString);
        JsonObject body = new JsonObject(response.asString());
        assertFalse(body.getString("error", "").isBlank(), () -> "no error code in " + body);
        assertFalse(body.getString("message", "").isBlank(), () -> "no message in " + body);
        return body;
    }

    private static JsonObject stats() {
        return ok(admin().get("/api/v1/stats"));
    }

    private static int totalConnections() {
        return stats().getInteger("total_connections");
    }

    // ---- stats ----

    @Test
    void statsHasExactlyTheSpecFieldsWithSaneValues() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("stats"), Tokens.valid(Tokens.unique("a")))) {
            JsonObject stats = stats();
            Set<String> expected = new HashSet<>(Set.of("total_connections", "max_connections", "capacity_percent",
                    "active_lobbies", "max_per_lobby", "node_id"));
            if (ClusterModeResource.active()) {
                expected.add("nodes");
            }
            assertEquals(expected, stats.fieldNames());
            int total = stats.getInteger("total_connections");
            int max = stats.getInteger("max_connections");
            assertTrue(total >= 1, () -> "a client is connected: " + stats);
            assertEquals(10000, max);
            assertTrue(total <= max);
            long percent = stats.getLong("capacity_percent");
            assertTrue(percent >= 0 && percent <= 100, () -> "capacity_percent " + percent);
            assertEquals(total * 100L / max, percent);
            assertTrue(stats.getInteger("active_lobbies") >= 1);
            assertTrue(stats.getInteger("active_lobbies") <= total);
            assertEquals(10, stats.getInteger("max_per_lobby"));
            assertFalse(stats.getString("node_id").isBlank());
        }
    }

    @Test
    void totalConnectionsGrowsByOneWhenAClientJoinsAndShrinksWhenItLeaves() {
        // Let closes left over from earlier tests settle: two equal readings in a row.
        AtomicInteger last = new AtomicInteger(-1);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
            int now = totalConnections();
            return now == last.getAndSet(now);
        });
        int before = last.get();
        String lobby = Tokens.unique("grow");
        int lobbiesBefore = stats().getInteger("active_lobbies");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            await().atMost(Duration.ofSeconds(5)).until(AdminQueriesTest::totalConnections, n -> n == before + 1);
            assertEquals(lobbiesBefore + 1, stats().getInteger("active_lobbies"));
        }
        await().atMost(Duration.ofSeconds(5)).until(AdminQueriesTest::totalConnections, n -> n == before);
    }

    // ---- lobby list ----

    @Test
    void lobbyListPagesWithNextCursorUntilNullAndListsEveryLobbyOnce() {
        String prefix = Tokens.unique("page");
        List<String> codes = List.of(prefix + "-a", prefix + "-b", prefix + "-c");
        try (TestSocket a = TestSocket.joinWelcomed(base, codes.get(0), Tokens.valid(Tokens.unique("a")));
                TestSocket b1 = TestSocket.joinWelcomed(base, codes.get(1), Tokens.valid(Tokens.unique("b1")));
                TestSocket b2 = TestSocket.joinWelcomed(base, codes.get(1), Tokens.valid(Tokens.unique("b2")));
                TestSocket c = TestSocket.joinWelcomed(base, codes.get(2), Tokens.valid(Tokens.unique("c")))) {
            Map<String, Integer> seen = new HashMap<>();
            Map<String, Integer> times = new HashMap<>();
            String cursor = null;
            int pages = 0;
            do {
                RequestSpecification request = admin().queryParam("limit", 1);
                if (cursor != null) {
                    request.queryParam("cursor", cursor);
                }
                JsonObject page = ok(request.get("/api/v1/lobbies"));
                assertEquals(Set.of("lobbies", "next_cursor"), page.fieldNames());
                JsonArray lobbies = page.getJsonArray("lobbies");
                assertTrue(lobbies.size() <= 1, () -> "limit=1 gave " + lobbies);
                for (int i = 0; i < lobbies.size(); i++) {
                    JsonObject line = lobbies.getJsonObject(i);
                    assertEquals(Set.of("code", "member_count"), line.fieldNames());
                    assertTrue(line.getInteger("member_count") >= 1, line::encode);
                    String code = line.getString("code");
                    if (codes.contains(code)) {
                        seen.put(code, line.getInteger("member_count"));
                        times.merge(code, 1, Integer::sum);
                    }
                }
                String next = page.getString("next_cursor");
                if (next != null) {
                    assertFalse(lobbies.isEmpty(), "a page with a next_cursor must hold a lobby");
                }
                cursor = next;
                pages++;
                assertTrue(pages < 10_000, "next_cursor never became null");
            } while (cursor != null);
            assertEquals(Map.of(codes.get(0), 1, codes.get(1), 2, codes.get(2), 1), seen);
            assertEquals(Map.of(codes.get(0), 1, codes.get(1), 1, codes.get(2), 1), times);
            assertTrue(pages >= 3);
        }
    }

    @Test
    void lobbyListWithoutLimitEndsWithNullCursor() {
        String code = Tokens.unique("single");
        try (TestSocket a = TestSocket.joinWelcomed(base, code, Tokens.valid(Tokens.unique("a")))) {
            JsonObject page = ok(admin().get("/api/v1/lobbies"));
            assertTrue(page.containsKey("next_cursor"), "next_cursor must be present (null) on the last page");
            assertNull(page.getValue("next_cursor"));
            assertTrue(page.getJsonArray("lobbies").stream()
                    .anyMatch(line -> code.equals(((JsonObject) line).getString("code"))));
        }
    }

    @Test
    void limitZeroIsInvalidLimit() {
        assertEquals("invalid_limit", error(admin().queryParam("limit", 0).get("/api/v1/lobbies"), 400).getString("error"));
    }

    @Test
    void nonNumericLimitIsInvalidLimit() {
        assertEquals("invalid_limit",
                error(admin().queryParam("limit", "abc").get("/api/v1/lobbies"), 400).getString("error"));
    }

    // ---- lobby detail ----

    @Test
    void lobbyDetailListsMembersWithNameConnectedAtRttAndNode() {
        String lobby = Tokens.unique("detail");
        String ann = Tokens.unique("ann");
        String bob = Tokens.unique("bob");
        String annToken = Tokens.hs256(Tokens.TEST_SECRET, c -> {
            c.setSubject(ann);
            c.setClaim("name", "Ann");
        });
        long before = System.currentTimeMillis();
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, annToken).stopAnsweringPings();
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
            long after = System.currentTimeMillis();
            String nodeId = stats().getString("node_id");
            JsonObject detail = ok(admin().get("/api/v1/lobbies/{code}", lobby));
            assertEquals(Set.of("code", "max", "members", "reserved", "owner", "locked", "visibility", "max_members", "properties",
                    "version"), detail.fieldNames());
            assertEquals(ann, detail.getString("owner"), "the first member seated owns the lobby");
            assertEquals(lobby, detail.getString("code"));
            assertEquals(10, detail.getInteger("max"));
            JsonArray members = detail.getJsonArray("members");
            assertEquals(2, members.size(), members::encode);
            Map<String, JsonObject> byUser = new HashMap<>();
            for (int i = 0; i < members.size(); i++) {
                JsonObject member = members.getJsonObject(i);
                assertEquals(Set.of("user_id", "name", "connected_at", "rtt_ms", "node_id", "state", "away_until",
                        "properties"), member.fieldNames());
                assertEquals("connected", member.getString("state"));
                assertNull(member.getValue("away_until"));
                byUser.put(member.getString("user_id"), member);
            }
            JsonObject annLine = byUser.get(ann);
            assertNotNull(annLine, members::encode);
            assertEquals("Ann", annLine.getString("name"));
            assertNull(byUser.get(bob).getValue("name"), "no name claim, no name");
            for (JsonObject member : byUser.values()) {
                Object connectedAt = member.getValue("connected_at");
                assertTrue(connectedAt instanceof Number && !(connectedAt instanceof Double), "integer epoch ms");
                long at = ((Number) connectedAt).longValue();
                assertTrue(at >= before && at <= after, () -> "connected_at " + at + " not in [" + before + ", " + after + "]");
                assertEquals(nodeId, member.getString("node_id"));
            }
            // Ann never answered a health_ping: no round trip measured yet.
            assertTrue(annLine.containsKey("rtt_ms"));
            assertNull(annLine.getValue("rtt_ms"), annLine::encode);

            // Now answer one ping by hand: the round trip becomes a number.
            JsonObject ping = a.nextHealthPing();
            a.send(new JsonObject().put("type", "health_pong").put("timestamp", ping.getValue("timestamp")));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonObject line = memberOf(ok(admin().get("/api/v1/lobbies/{code}", lobby)), ann);
                Object rtt = line.getValue("rtt_ms");
                assertTrue(rtt instanceof Integer || rtt instanceof Long, () -> "rtt_ms " + rtt);
                assertTrue(((Number) rtt).longValue() >= 0);
            });
            // Bob's client answers every ping on its own.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Object rtt = memberOf(ok(admin().get("/api/v1/lobbies/{code}", lobby)), bob).getValue("rtt_ms");
                assertTrue(rtt instanceof Integer || rtt instanceof Long, () -> "rtt_ms " + rtt);
            });
        }
    }

    private static JsonObject memberOf(JsonObject detail, String userId) {
        JsonArray members = detail.getJsonArray("members");
        for (int i = 0; i < members.size(); i++) {
            if (userId.equals(members.getJsonObject(i).getString("user_id"))) {
                return members.getJsonObject(i);
            }
        }
        throw new AssertionError(userId + " not in " + detail);
    }

    @Test
    void unknownLobbyIs404WithErrorBody() {
        error(admin().get("/api/v1/lobbies/{code}", Tokens.unique("nobody")), 404);
    }

    @Test
    void lobbyEveryoneLeftIs404() {
        String lobby = Tokens.unique("emptied");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            ok(admin().get("/api/v1/lobbies/{code}", lobby));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> admin().get("/api/v1/lobbies/{code}", lobby).statusCode() == 404);
        error(admin().get("/api/v1/lobbies/{code}", lobby), 404);
    }

    // ---- errors outside the routes ----

    @Test
    void unknownAdminPathWithTheRightKeyIs404WithJsonErrorBody() {
        Response response = admin().get("/api/v1/no-such-thing");
        assertTrue(String.valueOf(response.contentType()).startsWith("application/json"),
                () -> "content type " + response.contentType() + ": " + response.asString());
        error(response, 404);
    }

    @Test
    void wrongMethodOnAnAdminPathIs405WithJsonErrorBody() {
        Response response = admin().get("/api/v1/users/{id}/ping", Tokens.unique("u"));
        assertTrue(String.valueOf(response.contentType()).startsWith("application/json"),
                () -> "status " + response.statusCode() + ", content type " + response.contentType());
        error(response, 405);
    }

    // ---- users ----

    @Test
    void unknownUserIsNotConnectedWithOnlyUserIdAndConnected() {
        String ghost = Tokens.unique("ghost");
        JsonObject user = ok(admin().get("/api/v1/users/{id}", ghost));
        assertEquals(Set.of("user_id", "connected"), user.fieldNames());
        assertEquals(ghost, user.getString("user_id"));
        assertEquals(false, user.getBoolean("connected"));
    }

    @Test
    void connectedUserShowsLobbyConnectedAtRttAndNode() {
        String lobby = Tokens.unique("where");
        String alice = Tokens.unique("alice");
        long before = System.currentTimeMillis();
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice))) {
            long after = System.currentTimeMillis();
            JsonObject user = ok(admin().get("/api/v1/users/{id}", alice));
            assertEquals(Set.of("user_id", "connected", "lobby", "connected_at", "rtt_ms", "node_id"), user.fieldNames());
            assertEquals(alice, user.getString("user_id"));
            assertEquals(true, user.getBoolean("connected"));
            assertEquals(lobby, user.getString("lobby"));
            long at = user.getLong("connected_at");
            assertTrue(at >= before && at <= after, () -> "connected_at " + at);
            assertEquals(stats().getString("node_id"), user.getString("node_id"));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Object rtt = ok(admin().get("/api/v1/users/{id}", alice)).getValue("rtt_ms");
                assertTrue(rtt instanceof Integer || rtt instanceof Long, () -> "rtt_ms " + rtt);
                assertTrue(((Number) rtt).longValue() >= 0);
            });
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !ok(admin().get("/api/v1/users/{id}", alice)).getBoolean("connected"));
    }
}
