package dev.lobbyhub.endpoint;

import static io.restassured.RestAssured.given;
import static dev.lobbyhub.testing.Frames.bare;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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

import dev.lobbyhub.testing.HeldSeats;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Lobby state (SPEC §12) as members and the game backend see it: owner and its succession, settings
 * with check-and-set, members' properties, the lock, the lobby's own capacity and the owner's kick.
 * Runs against one node and, in the cluster-mode run, through Redis. Lobbies of 3, seats held 7 s.
 */
@QuarkusTest
@TestProfile(HeldSeats.class)
class LobbyStateTest {

    private static final String ADMIN = "Bearer test-admin-key";

    @TestHTTPResource("/")
    URI base;

    private TestSocket join(String lobby, String user) {
        return TestSocket.join(base, lobby, Tokens.valid(user));
    }

    private TestSocket connect(String lobby, String user) {
        return TestSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(user));
    }

    private static JsonObject update(Object... fields) {
        JsonObject message = new JsonObject().put("type", "lobby_update");
        for (int i = 0; i < fields.length; i += 2) {
            message.put((String) fields[i], fields[i + 1]);
        }
        return message;
    }

    private static JsonObject lobbyUpdated(long version, boolean locked, String visibility, int max, JsonObject properties,
            String by) {
        return new JsonObject().put("type", "lobby_updated").put("version", version).put("locked", locked)
                .put("visibility", visibility).put("max_members", max).put("properties", properties).put("by", by);
    }

    private static JsonObject error(String code, Object ref) {
        return new JsonObject().put("type", "error").put("code", code).put("ref", ref);
    }

    /** An error frame as compared here: its message is for people. */
    private static JsonObject expectError(TestSocket socket) {
        JsonObject error = socket.expect("error");
        error.remove("message");
        return error;
    }

    @Test
    void theFirstMemberOwnsTheLobbyAndTheWelcomeCarriesItsState() {
        String lobby = Tokens.unique("state");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        try (TestSocket first = join(lobby, a)) {
            JsonObject welcome = first.expect("welcome");
            assertEquals(a, welcome.getString("owner"));
            assertEquals(false, welcome.getBoolean("locked"));
            assertEquals("private", welcome.getString("visibility"));
            assertEquals(3, welcome.getInteger("max_members"));
            assertEquals(new JsonObject(), welcome.getJsonObject("properties"));
            assertEquals(0L, welcome.getLong("version"));
            assertEquals(new JsonObject(), welcome.getJsonObject("member_properties"));

            first.send(update("properties", new JsonObject().put("mode", "duel"), "visibility", "public", "id", 1));
            assertEquals(lobbyUpdated(1, false, "public", 3, new JsonObject().put("mode", "duel"), a),
                    bare(first.expect("lobby_updated")));
            first.send(new JsonObject().put("type", "member_update").put("properties", new JsonObject().put("ready", true)));
            first.expect("member_updated");
            try (TestSocket second = join(lobby, b)) {
                JsonObject joined = second.expect("welcome");
                assertEquals(a, joined.getString("owner"));
                assertEquals("public", joined.getString("visibility"));
                assertEquals(new JsonObject().put("mode", "duel"), joined.getJsonObject("properties"));
                assertEquals(1L, joined.getLong("version"));
                assertEquals(new JsonObject().put(a, new JsonObject().put("ready", true)),
                        joined.getJsonObject("member_properties"));
            }
        }
    }

    @Test
    void onlyTheOwnerChangesSettingsAndAWrongExpectedVersionChangesNothing() {
        String lobby = Tokens.unique("cas");
        String owner = Tokens.unique("owner");
        String guest = Tokens.unique("guest");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner));
                TestSocket g = TestSocket.joinWelcomed(base, lobby, Tokens.valid(guest))) {
            o.expect("member_joined");
            g.send(update("locked", true, "id", "g1"));
            assertEquals(error("not_owner", "g1"), expectError(g));

            o.send(update("locked", true, "max_members", 2, "expected_version", 0, "id", "o1"));
            JsonObject first = lobbyUpdated(1, true, "private", 2, new JsonObject(), owner);
            assertEquals(first, bare(o.expect("lobby_updated")));
            assertEquals(first, bare(g.expect("lobby_updated")), "the guest's refused update changed nothing");

            o.send(update("locked", false, "expected_version", 0, "id", "o2"));
            assertEquals(error("version_conflict", "o2"), expectError(o));
            o.send(update("properties", new JsonObject().put("map", "dust"), "expected_version", 1));
            JsonObject second = lobbyUpdated(2, true, "private", 2, new JsonObject().put("map", "dust"), owner);
            assertEquals(second, bare(g.expect("lobby_updated")), "the conflicting update changed nothing");
            assertEquals(second, bare(o.expect("lobby_updated")));
        }
    }

    @Test
    void manyWritersAtOnceWithTheSameExpectedVersionExactlyOneWins() throws Exception {
        String lobby = Tokens.unique("race");
        String owner = Tokens.unique("owner");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner))) {
            int writers = 12;
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<Integer>> answers = new ArrayList<>();
                for (int i = 0; i < writers; i++) {
                    JsonObject body = new JsonObject().put("properties", new JsonObject().put("writer", i))
                            .put("expected_version", 0);
                    answers.add(pool.submit(() -> admin("PATCH", "/api/v1/lobbies/" + lobby, body).extract().statusCode()));
                }
                Map<Integer, Integer> statuses = new HashMap<>();
                for (Future<Integer> answer : answers) {
                    statuses.merge(answer.get(30, TimeUnit.SECONDS), 1, Integer::sum);
                }
                assertEquals(Map.of(200, 1, 409, writers - 1), statuses);
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1L, o.expect("lobby_updated").getLong("version"));
            // The fence: the owner's next update is the next frame, version 2; no other update came between.
            o.send(update("locked", true, "expected_version", 1));
            assertEquals(2L, o.expect("lobby_updated").getLong("version"));
        }
    }

    @Test
    void badLobbyUpdatesAndMemberUpdatesGetOneErrorEachAndChangeNothing() {
        String lobby = Tokens.unique("bad");
        String owner = Tokens.unique("owner");
        String other = Tokens.unique("other");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner));
                TestSocket w = TestSocket.joinWelcomed(base, lobby, Tokens.valid(other))) {
            o.expect("member_joined");
            List<JsonObject> bad = List.of(
                    update("locked", "yes", "id", 1),
                    update("visibility", "secret", "id", 2),
                    update("visibility", 1, "id", 3),
                    update("expected_version", -1, "locked", true, "id", 4),
                    update("expected_version", 1.5, "locked", true, "id", 5),
                    update("properties", new JsonArray().add(1), "id", 6),
                    update("properties", "x", "id", 7),
                    update("max_members", 0, "id", 8),
                    update("max_members", 4, "id", 9),
                    update("id", 10),
                    new JsonObject().put("type", "member_update").put("properties", 5).put("id", 11),
                    new JsonObject().put("type", "member_update").put("id", 12),
                    new JsonObject().put("type", "kick").put("user_id", 7).put("id", 13),
                    new JsonObject().put("type", "kick").put("id", 14));
            for (JsonObject message : bad) {
                o.send(message);
                assertEquals(error("invalid_message", message.getValue("id")), expectError(o), message::encode);
            }
            o.send(update("properties", new JsonObject().put("blob", "x".repeat(4100)), "id", 20));
            assertEquals(error("properties_too_large", 20), expectError(o));
            o.send(new JsonObject().put("type", "member_update").put("id", 21)
                    .put("properties", new JsonObject().put("blob", "x".repeat(1030))));
            assertEquals(error("properties_too_large", 21), expectError(o));
            o.send(new JsonObject().put("type", "kick").put("user_id", Tokens.unique("nobody")).put("id", 22));
            assertEquals(error("user_not_found", 22), expectError(o));

            // The fence: the other member's first frame since is this update, version 1.
            o.send(update("locked", false));
            assertEquals(lobbyUpdated(1, false, "private", 3, new JsonObject(), owner), bare(w.expect("lobby_updated")));
        }
    }

    @Test
    void memberPropertiesReachEveryoneAreKeptWhileAwayAndGoWithTheSeat() {
        String lobby = Tokens.unique("props");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(a))) {
            TestSocket second = TestSocket.joinWelcomed(base, lobby, Tokens.valid(b));
            first.expect("member_joined");
            JsonObject ready = new JsonObject().put("ready", true).put("team", "red");
            second.send(new JsonObject().put("type", "member_update").put("properties", ready));
            JsonObject updated = new JsonObject().put("type", "member_updated").put("user_id", b).put("properties", ready);
            assertEquals(updated, bare(second.expect("member_updated")), "the sender hears its own update");
            assertEquals(updated, bare(first.expect("member_updated")));

            second.abort();
            first.expect("member_away");
            try (TestSocket again = TestSocket.join(base, lobby, Tokens.valid(b))) {
                assertEquals(new JsonObject().put(b, ready), again.expect("welcome").getJsonObject("member_properties"),
                        "kept while away");
                first.expect("member_back");
            }
            assertEquals("left", first.expect("member_left").getString("reason"));
            try (TestSocket third = TestSocket.join(base, lobby, Tokens.valid(b))) {
                assertEquals(new JsonObject(), third.expect("welcome").getJsonObject("member_properties"),
                        "dropped on leave");
            }
        }
    }

    @Test
    void ownershipPassesToTheMemberSeatedLongestAwayOnesIncludedButNotWhileTheOwnerIsAway() {
        String lobby = Tokens.unique("owner");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c = Tokens.unique("c");
        TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(a));
        TestSocket second = TestSocket.joinWelcomed(base, lobby, Tokens.valid(b));
        try (TestSocket third = TestSocket.joinWelcomed(base, lobby, Tokens.valid(c))) {
            first.expect("member_joined");
            first.expect("member_joined");
            second.expect("member_joined");

            // The owner is away: still the owner.
            first.abort();
            third.expect("member_away");
            third.send(update("locked", true, "id", "c1"));
            assertEquals(error("not_owner", "c1"), expectError(third));
            TestSocket back = TestSocket.join(base, lobby, Tokens.valid(a));
            assertEquals(a, back.expect("welcome").getString("owner"));
            third.expect("member_back");

            // b, seated before c, goes away; then the owner leaves: b owns the lobby though away.
            second.abort();
            third.expect("member_away");
            back.close();
            assertEquals("left", third.expect("member_left").getString("reason"));
            assertEquals(new JsonObject().put("type", "owner_changed").put("user_id", b).put("previous", a),
                    bare(third.expect("owner_changed")));
            TestSocket returning = TestSocket.join(base, lobby, Tokens.valid(b));
            assertEquals(b, returning.expect("welcome").getString("owner"));
            third.expect("member_back");

            // b leaves: c is the only one left.
            returning.close();
            third.expect("member_left");
            assertEquals(new JsonObject().put("type", "owner_changed").put("user_id", c).put("previous", b),
                    bare(third.expect("owner_changed")));
            third.send(update("locked", false));
            assertEquals(c, third.expect("lobby_updated").getString("by"));
        }
    }

    @Test
    void aLockedLobbyRefusesNewcomersButLetsMembersBack() {
        String lobby = Tokens.unique("locked");
        String owner = Tokens.unique("owner");
        String phone = Tokens.unique("phone");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner))) {
            TestSocket p = TestSocket.joinWelcomed(base, lobby, Tokens.valid(phone));
            o.expect("member_joined");
            o.send(update("locked", true));
            o.expect("lobby_updated");
            p.expect("lobby_updated");

            connect(lobby, Tokens.unique("newcomer")).expectRejected(4003, "lobby_locked");
            // A member's replacement connection and an away member's return get in.
            try (TestSocket replacement = TestSocket.join(base, lobby, Tokens.valid(phone))) {
                assertEquals(true, replacement.expect("welcome").getBoolean("locked"));
                assertEquals(4005, p.awaitClose().code());
                replacement.abort();
                o.expect("member_away");
                try (TestSocket returning = TestSocket.join(base, lobby, Tokens.valid(phone))) {
                    returning.expect("welcome");
                    o.expect("member_back");
                    o.send(update("locked", false));
                    returning.expect("lobby_updated");
                    try (TestSocket newcomer = TestSocket.join(base, lobby, Tokens.valid(Tokens.unique("late")))) {
                        assertEquals(false, newcomer.expect("welcome").getBoolean("locked"));
                    }
                }
            }
        }
    }

    @Test
    void theLobbysOwnCapacityRefusesTheNextNewcomerAndLoweringItRemovesNobody() {
        String lobby = Tokens.unique("duel");
        String owner = Tokens.unique("owner");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner));
                TestSocket two = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("two")))) {
            o.expect("member_joined");
            o.send(update("max_members", 1));
            assertEquals(1, o.expect("lobby_updated").getInteger("max_members"));
            assertEquals(1, two.expect("lobby_updated").getInteger("max_members"), "still a member");
            connect(lobby, Tokens.unique("three")).expectRejected(4002, "lobby_full");
            o.send(update("max_members", 2));
            o.expect("lobby_updated");
            connect(lobby, Tokens.unique("four")).expectRejected(4002, "lobby_full");
        }
    }

    @Test
    void theOwnersKickClosesTheConnectionAndKeepsTheUserOut() {
        String lobby = Tokens.unique("kick");
        String owner = Tokens.unique("owner");
        String rude = Tokens.unique("rude");
        String away = Tokens.unique("away");
        try (TestSocket o = TestSocket.joinWelcomed(base, lobby, Tokens.valid(owner))) {
            TestSocket r = TestSocket.joinWelcomed(base, lobby, Tokens.valid(rude));
            o.expect("member_joined");
            r.send(new JsonObject().put("type", "kick").put("user_id", owner).put("id", "r1"));
            assertEquals(error("not_owner", "r1"), expectError(r));

            o.send(new JsonObject().put("type", "kick").put("user_id", rude));
            assertEquals(new TestSocket.Close(4006, "kicked"), r.awaitClose());
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", rude).put("reason", "kicked"),
                    bare(o.expect("member_left")));
            connect(lobby, rude).expectRejected(4003, "forbidden");

            // An away member's held seat ends too.
            TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(away));
            o.expect("member_joined");
            a.abort();
            o.expect("member_away");
            o.send(new JsonObject().put("type", "kick").put("user_id", away));
            assertEquals("kicked", o.expect("member_left").getString("reason"));
            connect(lobby, away).expectRejected(4003, "forbidden");
        }
        // With its last seat the lobby's state is gone, the kicked users' exclusion with it.
        awaitGone(lobby);
        try (TestSocket fresh = TestSocket.join(base, lobby, Tokens.valid(rude))) {
            JsonObject welcome = fresh.expect("welcome");
            assertEquals(rude, welcome.getString("owner"));
            assertEquals(0L, welcome.getLong("version"));
        }
    }

    @Test
    void theStateIsGoneWithTheLastSeat() {
        String lobby = Tokens.unique("gone");
        String a = Tokens.unique("a");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(a))) {
            first.send(update("locked", true, "properties", new JsonObject().put("round", 3)));
            first.expect("lobby_updated");
        }
        String b = Tokens.unique("b");
        awaitGone(lobby);
        try (TestSocket later = TestSocket.join(base, lobby, Tokens.valid(b))) {
            JsonObject welcome = later.expect("welcome");
            assertEquals(b, welcome.getString("owner"));
            assertEquals(false, welcome.getBoolean("locked"));
            assertEquals(new JsonObject(), welcome.getJsonObject("properties"));
            assertEquals(0L, welcome.getLong("version"));
        }
    }

    /** Until nobody holds a seat in the lobby (the last close has been handled). */
    private static void awaitGone(String lobby) {
        Awaitility.await().atMost(TestSocket.WAIT).until(() -> given().header("Authorization", ADMIN)
                .get("/api/v1/lobbies/" + lobby).statusCode() == 404);
    }

    private static ValidatableResponse admin(String method, String path, JsonObject body) {
        var request = given().header("Authorization", ADMIN);
        if (body != null) {
            request = request.contentType("application/json").body(body.encode());
        }
        return request.request(method, path).then();
    }

    @Test
    void theGameBackendReadsAndChangesTheStateAndHandsOverOwnership() {
        String lobby = Tokens.unique("admin");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(a));
                TestSocket second = TestSocket.joinWelcomed(base, lobby, Tokens.valid(b))) {
            first.expect("member_joined");
            second.send(new JsonObject().put("type", "member_update").put("properties", new JsonObject().put("ready", true)));
            first.expect("member_updated");
            second.expect("member_updated");

            JsonObject detail = new JsonObject(admin("GET", "/api/v1/lobbies/" + lobby, null).statusCode(200)
                    .extract().asString());
            assertEquals(a, detail.getString("owner"));
            assertEquals(false, detail.getBoolean("locked"));
            assertEquals("private", detail.getString("visibility"));
            assertEquals(new JsonObject(), detail.getJsonObject("properties"));
            assertEquals(0L, detail.getLong("version"));
            assertEquals(3, detail.getInteger("max"));
            Map<String, Object> props = new HashMap<>();
            for (Object member : detail.getJsonArray("members")) {
                JsonObject m = (JsonObject) member;
                props.put(m.getString("user_id"), m.getJsonObject("properties"));
            }
            assertEquals(Map.of(a, new JsonObject(), b, new JsonObject().put("ready", true)), props);

            JsonObject patched = new JsonObject(admin("PATCH", "/api/v1/lobbies/" + lobby,
                    new JsonObject().put("locked", true).put("properties", new JsonObject().put("mode", "ctf"))
                            .put("expected_version", 0))
                    .statusCode(200).extract().asString());
            assertEquals(1L, patched.getLong("version"));
            assertEquals(true, patched.getBoolean("locked"));
            assertEquals(new JsonObject().put(b, new JsonObject().put("ready", true)),
                    patched.getJsonObject("member_properties"));
            JsonObject heard = bare(first.expect("lobby_updated"));
            assertNull(heard.getValue("by"));
            assertEquals(lobbyUpdated(1, true, "private", 3, new JsonObject().put("mode", "ctf"), null), heard);
            second.expect("lobby_updated");

            admin("PATCH", "/api/v1/lobbies/" + lobby, new JsonObject().put("locked", false).put("expected_version", 0))
                    .statusCode(409).body("error", equalTo("version_conflict"));
            admin("PATCH", "/api/v1/lobbies/" + lobby, new JsonObject().put("visibility", "everyone"))
                    .statusCode(400).body("error", equalTo("invalid_body"));
            admin("PATCH", "/api/v1/lobbies/" + lobby,
                    new JsonObject().put("properties", new JsonObject().put("x", "y".repeat(5000))))
                    .statusCode(400).body("error", equalTo("properties_too_large"));
            admin("PATCH", "/api/v1/lobbies/" + Tokens.unique("empty"), new JsonObject().put("locked", true))
                    .statusCode(404).body("error", equalTo("lobby_not_found"));

            admin("PUT", "/api/v1/lobbies/" + lobby + "/owner", new JsonObject().put("user_id", Tokens.unique("x")))
                    .statusCode(404);
            admin("PUT", "/api/v1/lobbies/" + lobby + "/owner", new JsonObject().put("user_id", b))
                    .statusCode(200).body("owner", equalTo(b));
            JsonObject changed = new JsonObject().put("type", "owner_changed").put("user_id", b).put("previous", a);
            assertEquals(changed, bare(first.expect("owner_changed")));
            assertEquals(changed, bare(second.expect("owner_changed")));
            second.send(update("locked", false));
            assertEquals(b, first.expect("lobby_updated").getString("by"), "the new owner's update is the fence");
        }
    }
}
