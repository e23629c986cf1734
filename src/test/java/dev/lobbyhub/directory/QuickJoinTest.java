package dev.lobbyhub.directory;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Reservations;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Quick join, reservations and the lobby directory (SPEC §13) as players and game backends see them.
 * Runs against one node and, in the cluster-mode run, through Redis. Lobbies of 3; reservations last
 * {@link Reservations#TTL_MS}.
 */
@QuarkusTest
@TestProfile(Reservations.class)
class QuickJoinTest {

    private static final String ADMIN = "Bearer test-admin-key";

    @TestHTTPResource("/")
    URI base;

    /** A property value no other test uses, so lobbies of other tests never match. */
    private static JsonObject mode() {
        return new JsonObject().put("mode", Tokens.unique("mode"));
    }

    private static Response quickJoin(String user, JsonObject body) {
        return given().header("Authorization", "Bearer " + Tokens.valid(user)).contentType("application/json")
                .body(body.encode()).post("/lobbies/quick-join");
    }

    private static JsonObject placed(String user, JsonObject properties) {
        Response answer = quickJoin(user, new JsonObject().put("properties", properties));
        assertEquals(200, answer.statusCode(), answer::asString);
        return new JsonObject(answer.asString());
    }

    private static JsonObject lobby(String code) {
        Response answer = given().header("Authorization", ADMIN).get("/api/v1/lobbies/" + code);
        assertEquals(200, answer.statusCode(), answer::asString);
        return new JsonObject(answer.asString());
    }

    private static JsonObject admin(String method, String path, JsonObject body, int status) {
        var request = given().header("Authorization", ADMIN);
        if (body != null) {
            request = request.contentType("application/json").body(body.encode());
        }
        Response answer = request.request(method, path);
        assertEquals(status, answer.statusCode(), answer::asString);
        return answer.asString().isEmpty() ? null : new JsonObject(answer.asString());
    }

    private static JsonObject error(Response answer) {
        JsonObject body = new JsonObject(answer.asString());
        assertTrue(body.getString("message") != null && !body.getString("message").isEmpty(), body::encode);
        return body;
    }

    private TestSocket join(String lobby, String user) {
        return TestSocket.joinWelcomed(base, lobby, Tokens.valid(user));
    }

    @Test
    void quickJoinMakesALobbyThenFillsItAndTheReservedPlayerIsWelcomedAsANewcomer() {
        JsonObject mode = mode();
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        JsonObject first = placed(a, mode);
        String code = first.getString("lobby");
        assertEquals(true, first.getBoolean("created"));
        assertTrue(first.getLong("reserved_ms") > 0 && first.getLong("reserved_ms") <= Reservations.TTL_MS);

        JsonObject made = lobby(code);
        assertEquals(new JsonArray(), made.getJsonArray("members"), "a reservation is no member");
        assertEquals(1, made.getInteger("reserved"));
        assertEquals(a, made.getString("owner"), "a lobby made by quick join is its maker's");
        assertEquals("public", made.getString("visibility"));
        assertEquals(mode, made.getJsonObject("properties"));

        JsonObject again = placed(a, mode);
        assertEquals(code, again.getString("lobby"), "asking again answers the same reservation");
        assertEquals(false, again.getBoolean("created"));
        assertTrue(again.getLong("reserved_ms") <= first.getLong("reserved_ms"));

        try (TestSocket owner = TestSocket.join(base, code, Tokens.valid(a))) {
            JsonObject welcome = owner.expect("welcome");
            assertEquals(a, welcome.getString("owner"));
            assertEquals(mode, welcome.getJsonObject("properties"));
            JsonObject second = placed(b, mode);
            assertEquals(code, second.getString("lobby"));
            assertEquals(false, second.getBoolean("created"));
            assertEquals(1, lobby(code).getInteger("reserved"));
            try (TestSocket guest = TestSocket.join(base, code, Tokens.valid(b))) {
                guest.expect("welcome");
                assertEquals(b, owner.expect("member_joined").getString("user_id"), "member_joined, not member_back");
                assertEquals(0, lobby(code).getInteger("reserved"));
                JsonObject seated = placed(b, mode);
                assertEquals(code, seated.getString("lobby"), "a seated user gets its lobby back");
                assertEquals(false, seated.getBoolean("created"));
                assertEquals(0L, seated.getLong("reserved_ms"));
            }
        }
    }

    @Test
    void quickJoinPrefersTheFullestLobbyAndNeverALockedOrPrivateOne() {
        JsonObject mode = mode();
        String fuller = Tokens.unique("fuller");
        String emptier = Tokens.unique("emptier");
        String locked = Tokens.unique("locked");
        String hidden = Tokens.unique("hidden");
        List<TestSocket> sockets = new ArrayList<>();
        try {
            for (String[] seat : new String[][] { { fuller, "f1" }, { fuller, "f2" }, { emptier, "e1" }, { locked, "l1" },
                    { locked, "l2" }, { hidden, "h1" }, { hidden, "h2" } }) {
                sockets.add(join(seat[0], Tokens.unique(seat[1])));
            }
            admin("PATCH", "/api/v1/lobbies/" + fuller, new JsonObject().put("visibility", "public").put("properties", mode), 200);
            admin("PATCH", "/api/v1/lobbies/" + emptier, new JsonObject().put("visibility", "public").put("properties", mode), 200);
            admin("PATCH", "/api/v1/lobbies/" + locked,
                    new JsonObject().put("visibility", "public").put("locked", true).put("properties", mode), 200);
            admin("PATCH", "/api/v1/lobbies/" + hidden, new JsonObject().put("properties", mode), 200);

            assertEquals(fuller, placed(Tokens.unique("p"), mode).getString("lobby"), "the fullest first");
            // fuller is now 2 members + 1 reservation: full. The next goes to the other open one.
            assertEquals(emptier, placed(Tokens.unique("p"), mode).getString("lobby"));
            assertEquals(emptier, placed(Tokens.unique("p"), mode).getString("lobby"));
            JsonObject made = placed(Tokens.unique("p"), mode);
            assertEquals(true, made.getBoolean("created"), "locked and private lobbies take nobody: a new one");
            assertEquals(0, lobby(locked).getInteger("reserved"));
            assertEquals(0, lobby(hidden).getInteger("reserved"));

            // A reservation counts towards the lobby's capacity: a newcomer is refused, the reserved player is not.
            TestSocket.connect(base, "/ws/" + fuller + "?token=" + Tokens.valid(Tokens.unique("late")))
                    .expectRejected(4002, "lobby_full");
        } finally {
            sockets.forEach(TestSocket::close);
        }
    }

    @Test
    void anUnusedReservationEndsSilentlyAndALobbyMadeForItIsGone() {
        JsonObject mode = mode();
        String maker = Tokens.unique("maker");
        String code = placed(maker, mode).getString("lobby");
        String member = Tokens.unique("member");
        String idle = Tokens.unique("idle");
        String other = placed(idle, mode()).getString("lobby");
        assertNotEquals(code, other);
        try (TestSocket seated = join(code, maker)) {
            assertEquals(code, placed(member, mode).getString("lobby"));
            assertEquals(1, lobby(code).getInteger("reserved"));
            Awaitility.await().atMost(TestSocket.WAIT).until(() -> lobby(code).getInteger("reserved") == 0);
            Awaitility.await().atMost(TestSocket.WAIT).until(() -> given().header("Authorization", ADMIN)
                    .get("/api/v1/lobbies/" + other).statusCode() == 404);
            // Nothing was said about it; the fence is the maker's own next update, which it hears itself.
            seated.send(new JsonObject().put("type", "member_update").put("properties", new JsonObject().put("fence", 1)));
            assertEquals(maker, seated.expect("member_updated").getString("user_id"));
            // Its seat is free again: the expired player quick-joins into the same lobby anew.
            JsonObject again = placed(member, mode);
            assertEquals(code, again.getString("lobby"));
            assertTrue(again.getLong("reserved_ms") > Reservations.TTL_MS / 2, "a new reservation, not the old one");
        }
    }

    @Test
    void connectingElsewhereOrAnAdminKickEndsAReservationAndAKickedUserIsNeverPlacedBack() {
        JsonObject mode = mode();
        String maker = Tokens.unique("maker");
        String roamer = Tokens.unique("roamer");
        String code = placed(maker, mode).getString("lobby");
        try (TestSocket owner = join(code, maker)) {
            assertEquals(code, placed(roamer, mode).getString("lobby"));
            try (TestSocket elsewhere = join(Tokens.unique("elsewhere"), roamer)) {
                assertEquals(0, lobby(code).getInteger("reserved"), "connecting to another lobby ends it");
            }
            String kicked = Tokens.unique("kicked");
            assertEquals(code, placed(kicked, mode).getString("lobby"));
            admin("DELETE", "/api/v1/users/" + kicked + "/connection", null, 204);
            assertEquals(0, lobby(code).getInteger("reserved"), "an admin kick ends it");

            String banned = Tokens.unique("banned");
            assertEquals(code, placed(banned, mode).getString("lobby"));
            owner.send(new JsonObject().put("type", "kick").put("user_id", banned));
            // Never in presence, but everyone hears the kick (SPEC §12).
            JsonObject left = owner.expect("member_left");
            assertEquals(banned, left.getString("user_id"));
            assertEquals("kicked", left.getString("reason"));
            assertEquals(0, lobby(code).getInteger("reserved"), "the owner's kick ends it");
            assertNotEquals(code, placed(banned, mode).getString("lobby"), "a kicked user is placed elsewhere");
        }
    }

    @Test
    void concurrentQuickJoinsFillLobbiesExactly() throws Exception {
        JsonObject mode = mode();
        int players = 30;
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<JsonObject>> answers = new ArrayList<>();
            for (int i = 0; i < players; i++) {
                String user = Tokens.unique("racer");
                answers.add(pool.submit(() -> placed(user, mode)));
            }
            Map<String, Integer> perLobby = new HashMap<>();
            int created = 0;
            for (Future<JsonObject> answer : answers) {
                JsonObject joined = answer.get(30, TimeUnit.SECONDS);
                perLobby.merge(joined.getString("lobby"), 1, Integer::sum);
                created += joined.getBoolean("created") ? 1 : 0;
            }
            assertEquals(players / 3, perLobby.size(), perLobby::toString);
            assertEquals(players / 3, created);
            perLobby.forEach((code, count) -> {
                assertEquals(3, count, code);
                assertEquals(3, lobby(code).getInteger("reserved"), code);
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theDirectoryListsPublicLobbiesByFilterWithSpaceAndInPages() {
        String tag = Tokens.unique("tag");
        JsonObject duel = new JsonObject().put("tag", tag).put("mode", "duel").put("level", 3).put("ranked", true);
        JsonObject ffa = new JsonObject().put("tag", tag).put("mode", "ffa").put("level", 3.0).put("ranked", false);
        List<String> codes = new ArrayList<>();
        int slot = 0;
        for (JsonObject properties : List.of(duel, duel, ffa)) {
            // A slot of its own: quick join would otherwise put the second duel player into the first lobby.
            codes.add(placed(Tokens.unique("lister"), properties.copy().put("slot", slot++)).getString("lobby"));
        }
        // Each call as a new reader, so that none is over a user's rate.
        JsonObject all = new JsonObject(given().header("Authorization", "Bearer " + reader())
                .get("/lobbies?prop.tag=" + tag).asString());
        assertEquals(3, all.getJsonArray("lobbies").size(), all::encode);
        assertEquals(null, all.getString("next_cursor"));
        JsonObject line = all.getJsonArray("lobbies").getJsonObject(0);
        assertEquals(List.of("code", "member_count", "max", "owner", "locked", "properties"), List.copyOf(line.fieldNames()));
        assertEquals(0, line.getInteger("member_count"));
        assertEquals(3, line.getInteger("max"));

        // Typed filters: a number, a boolean, a string.
        assertEquals(3, countListed(reader(), "prop.tag=" + tag + "&prop.level=3"));
        assertEquals(2, countListed(reader(), "prop.tag=" + tag + "&prop.ranked=true"));
        assertEquals(1, countListed(reader(), "prop.tag=" + tag + "&prop.mode=ffa"));
        assertEquals(0, countListed(reader(), "prop.tag=" + tag + "&prop.mode=ctf"));

        // Pages of one, in code order, to the end.
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonObject page = new JsonObject(given().header("Authorization", "Bearer " + reader())
                    .get("/lobbies?limit=1&prop.tag=" + tag + (cursor == null ? "" : "&cursor=" + cursor)).asString());
            page.getJsonArray("lobbies").forEach(listed -> paged.add(((JsonObject) listed).getString("code")));
            cursor = page.getString("next_cursor");
        } while (cursor != null);
        assertEquals(codes.stream().sorted().toList(), paged);

        // Full lobbies are left out with has_space; a token's lobbies claim limits the list.
        admin("PATCH", "/api/v1/lobbies/" + codes.get(0), new JsonObject().put("max_members", 1), 200);
        assertEquals(2, countListed(reader(), "prop.tag=" + tag + "&has_space=true"));
        String limited = Tokens.forLobbies(Tokens.unique("claimed"), List.of(codes.get(1)));
        assertEquals(1, countListed(limited, "prop.tag=" + tag));
        admin("PATCH", "/api/v1/lobbies/" + codes.get(2), new JsonObject().put("visibility", "private"), 200);
        assertEquals(2, countListed(reader(), "prop.tag=" + tag), "private lobbies are not listed");
    }

    private static String reader() {
        return Tokens.valid(Tokens.unique("reader"));
    }

    private static int countListed(String token, String query) {
        Response answer = given().header("Authorization", "Bearer " + token).get("/lobbies?" + query);
        assertEquals(200, answer.statusCode(), answer::asString);
        return new JsonObject(answer.asString()).getJsonArray("lobbies").size();
    }

    @Test
    void aLobbiesClaimNeverMakesALobby() {
        String user = Tokens.unique("claimed");
        Response answer = given().header("Authorization", "Bearer " + Tokens.forLobbies(user, List.of(Tokens.unique("nowhere"))))
                .contentType("application/json").body(new JsonObject().put("properties", mode()).encode())
                .post("/lobbies/quick-join");
        assertEquals(404, answer.statusCode(), answer::asString);
        assertEquals("no_lobby", error(answer).getString("error"));
    }

    @Test
    void gameBackendsMakeLobbiesAndReserveSeatsForAPartyAllOrNone() {
        String owner = Tokens.unique("host");
        JsonObject made = admin("POST", "/api/v1/lobbies", new JsonObject().put("owner", owner).put("visibility", "private")
                .put("max_members", 3).put("properties", new JsonObject().put("map", "dust")), 200);
        String code = made.getString("code");
        assertTrue(code.matches("[a-z0-9]{12}"), code);
        assertEquals(owner, made.getString("owner"));
        assertEquals(1, made.getInteger("reserved"));
        assertEquals(new JsonObject().put("map", "dust"), made.getJsonObject("properties"));

        JsonObject party = new JsonObject().put("user_ids", new JsonArray().add(Tokens.unique("p1")).add(Tokens.unique("p2"))
                .add(Tokens.unique("p3")));
        assertEquals("lobby_full", admin("POST", "/api/v1/lobbies/" + code + "/reservations", party, 409).getString("error"));
        assertEquals(1, lobby(code).getInteger("reserved"), "all or none: nothing was reserved");
        party.getJsonArray("user_ids").remove(2);
        assertEquals(3, admin("POST", "/api/v1/lobbies/" + code + "/reservations", party, 200).getInteger("reserved"));
        try (TestSocket p1 = join(code, party.getJsonArray("user_ids").getString(0))) {
            assertEquals(owner, lobby(code).getString("owner"), "the owner holds its reservation");
        }
        assertEquals("lobby_not_found", admin("POST", "/api/v1/lobbies/" + Tokens.unique("none") + "/reservations",
                party, 404).getString("error"));

        JsonObject empty = admin("POST", "/api/v1/lobbies", new JsonObject(), 200);
        assertEquals(null, empty.getString("owner"));
        assertEquals("private", empty.getString("visibility"));
        String waiting = empty.getString("code");
        assertEquals(0, lobby(waiting).getJsonArray("members").size(), "an empty lobby waits for its players");
        String first = Tokens.unique("first");
        try (TestSocket player = TestSocket.join(base, waiting, Tokens.valid(first))) {
            assertEquals(first, player.expect("welcome").getString("owner"), "its first member owns it");
        }
    }

    @Test
    void badRequestsGetTheAdminErrorShapeAndReserveNothing() {
        assertEquals(401, given().get("/lobbies").statusCode());
        assertEquals("invalid_token", error(given().header("Authorization", "Bearer nope").get("/lobbies")).getString("error"));
        StringBuilder many = new StringBuilder("/lobbies?");
        for (int i = 0; i < 10_000; i++) {
            many.append("prop.k").append(i).append("=v&");
        }
        // 10,000 filters do not fit the request line (16 KB): the HTTP layer answers 414 before any handler.
        assertEquals(414, given().header("Authorization", fresh()).urlEncodingEnabled(false).get(many.toString())
                .statusCode());
        StringBuilder fewer = new StringBuilder("/lobbies?");
        for (int i = 0; i < 1_000; i++) {
            fewer.append("prop.k").append(i).append("=v&");
        }
        Response tooMany = given().header("Authorization", fresh()).urlEncodingEnabled(false).get(fewer.toString());
        assertEquals(400, tooMany.statusCode());
        assertEquals("too_many_filters", error(tooMany).getString("error"));
        Map<String, String> badQueries = Map.of(
                "/lobbies?prop.a=1&prop.b=1&prop.c=1&prop.d=1&prop.e=1&prop.f=1", "too_many_filters",
                "/lobbies?colour=red", "invalid_filter",
                "/lobbies?prop.mode=" + "x".repeat(65), "invalid_filter",
                "/lobbies?prop.=x", "invalid_filter",
                "/lobbies?has_space=maybe", "invalid_filter",
                "/lobbies?limit=0", "invalid_limit",
                "/lobbies?limit=abc", "invalid_limit",
                "/lobbies?cursor=%E2%9C%93", "invalid_cursor",
                "/lobbies?prop.mode=a&prop.mode=b", "invalid_filter");
        badQueries.forEach((path, code) -> {
            Response answer = given().header("Authorization", fresh()).urlEncodingEnabled(false).get(path);
            assertEquals(400, answer.statusCode(), path);
            assertEquals(code, error(answer).getString("error"), path);
        });
        List<String> badBodies = List.of("[]", "{\"properties\": 5}", "{\"properties\": {\"deep\": {\"x\": 1}}}",
                "{\"properties\": {\"long\": \"" + "x".repeat(65) + "\"}}", "{\"properties\": {\"a\": [1]}}",
                "{\"properties\": {\"a\": null}}", "{\"max_members\": 4}", "{\"max_members\": 1.5}", "{\"a\": 1, \"a\": 2}",
                "{} {}", "{\"properties\": {\"ü\": \"ok\"}, \"max_members\": 0}");
        String user = Tokens.unique("bad");
        for (String body : badBodies) {
            Response answer = given().header("Authorization", "Bearer " + Tokens.valid(user)).contentType("application/json")
                    .body(body).post("/lobbies/quick-join");
            if (answer.statusCode() == 429) {
                // This user's calls are limited too: wait for the bucket, then the same body again.
                Awaitility.await().atMost(TestSocket.WAIT).until(() -> given().header("Authorization",
                        "Bearer " + Tokens.valid(user)).contentType("application/json").body(body)
                        .post("/lobbies/quick-join").statusCode() != 429);
                answer = given().header("Authorization", fresh()).contentType("application/json").body(body)
                        .post("/lobbies/quick-join");
            }
            assertEquals(400, answer.statusCode(), body);
            assertEquals("invalid_body", error(answer).getString("error"), body);
        }
        assertEquals(415, given().header("Authorization", fresh()).contentType("text/plain").body("{}")
                .post("/lobbies/quick-join").statusCode());
        assertEquals(413, given().header("Authorization", fresh()).contentType("application/json")
                .body("{\"properties\": {\"x\": \"" + "y".repeat(10_000) + "\"}}").post("/lobbies/quick-join").statusCode());
        // Nothing was reserved for the user of the bad bodies: its first good call makes a lobby now.
        JsonObject mode = mode();
        Response good = Awaitility.await().atMost(TestSocket.WAIT).until(
                () -> quickJoin(user, new JsonObject().put("properties", mode)), answer -> answer.statusCode() != 429);
        assertEquals(200, good.statusCode(), good::asString);
        assertEquals(true, new JsonObject(good.asString()).getBoolean("created"), "no reservation was held before");
    }

    /** A new user's token, so that no call here is over the user's rate. */
    private static String fresh() {
        return "Bearer " + Tokens.valid(Tokens.unique("bad"));
    }

    @Test
    void callsOverTheRateAreRefused429AndAnswersCarryCors() {
        String token = "Bearer " + Tokens.valid(Tokens.unique("eager"));
        int refused = 0;
        for (int i = 0; i < 20; i++) {
            Response answer = given().header("Authorization", token).get("/lobbies");
            if (answer.statusCode() == 429) {
                assertEquals("rate_limited", error(answer).getString("error"));
                refused++;
            }
        }
        assertTrue(refused > 0, "20 calls at once with 5 a second allowed");

        Response listed = given().header("Authorization", "Bearer " + Tokens.valid(Tokens.unique("cors")))
                .header("Origin", "https://game.example.com").get("/lobbies");
        assertEquals(200, listed.statusCode());
        assertEquals("*", listed.header("Access-Control-Allow-Origin"), "any origin while allowed-origins is unset");
        Response refusedAnswer = given().header("Origin", "https://game.example.com").get("/lobbies");
        assertEquals(401, refusedAnswer.statusCode());
        assertEquals("*", refusedAnswer.header("Access-Control-Allow-Origin"), "errors carry CORS too");
        Response preflight = given().header("Origin", "https://game.example.com")
                .header("Access-Control-Request-Method", "POST").options("/lobbies/quick-join");
        assertEquals(204, preflight.statusCode());
        assertTrue(preflight.header("Access-Control-Allow-Headers").contains("Authorization"));
    }
}
