package dev.lobbyhub.endpoint;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.HeldSeats;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Held seats on one node (SPEC §10): a member whose connection drops is away, comes back to its
 * seat (also in a full lobby, recovering what it missed), frees it by going elsewhere, or leaves
 * when the grace runs out.
 */
@QuarkusTest
@TestProfile(HeldSeats.class)
class HeldSeatTest {

    static final long GRACE_MS = HeldSeats.GRACE_MS;

    @TestHTTPResource("/")
    URI base;

    private TestSocket join(String lobby, String user) {
        return TestSocket.joinWelcomed(base, lobby, Tokens.valid(user));
    }

    private TestSocket resume(String lobby, String user, long since, String epoch) {
        return TestSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(user) + "&since=" + since + "&epoch="
                + URLEncoder.encode(epoch, StandardCharsets.UTF_8));
    }

    /** {@code user} joins the watcher's lobby and its connection drops: the watcher hears it is away. */
    private void joinAndDrop(TestSocket watcher, String lobby, String user) {
        TestSocket first = join(lobby, user);
        watcher.expect("member_joined");
        first.abort();
        watcher.expect("member_away");
    }

    private static JsonObject chat(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    private static double holds(String outcome) {
        String metrics = given().get("/q/metrics").asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("lobbyhub_seat_holds_total{") && line.contains("outcome=\"" + outcome + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no lobbyhub_seat_holds_total{outcome=" + outcome + "}");
    }

    @Test
    void aDroppedMemberIsAwayAndComesBackToItsSeatRecoveringWhatItMissed() {
        String lobby = Tokens.unique("held");
        String watcher = Tokens.unique("watcher");
        String phone = Tokens.unique("phone");
        double returnedBefore = holds("returned");
        try (TestSocket w = join(lobby, watcher)) {
            TestSocket first = TestSocket.join(base, lobby, Tokens.valid(phone));
            String epoch = first.expect("welcome").getString("epoch");
            long joinedAt = w.expect("member_joined").getLong("offset");
            w.send(chat("before"));
            long seen = first.expect("lobby_message").getLong("offset");

            first.abort();
            JsonObject away = w.expect("member_away");
            assertEquals(new JsonObject().put("type", "member_away").put("user_id", phone).put("reason", "dropped")
                    .put("hold_ms", GRACE_MS).put("offset", seen + 1), away);
            w.send(chat("while away"));
            w.send(new JsonObject().put("type", "direct_message").put("to", phone).put("data", "psst").put("id", 7));
            assertEquals(seen + 3, w.expect("ack").getLong("offset"), "a direct message to an away member is logged");

            try (TestSocket back = resume(lobby, phone, seen, epoch)) {
                JsonObject welcome = back.expect("welcome");
                assertEquals(true, welcome.getBoolean("recovered"), welcome::encode);
                assertEquals(new JsonArray(List.of(watcher, phone)), welcome.getJsonArray("members"));
                assertEquals(new JsonArray(), welcome.getJsonArray("away"));
                assertEquals(GRACE_MS, welcome.getLong("reconnect_grace_ms"));
                assertEquals("while away", back.expect("lobby_message").getValue("data"));
                assertEquals("psst", back.expect("direct_message").getValue("data"));
                // The others hear it is back, never that it joined; its own away/back are not replayed to it.
                assertEquals(new JsonObject().put("type", "member_back").put("user_id", phone).put("offset", seen + 4),
                        w.expect("member_back"));
                back.send(chat("fence"));
                assertEquals("fence", w.expect("lobby_message").getValue("data"));
                assertTrue(joinedAt < seen);
            }
        }
        // At least: other tests on this server may end holds meanwhile (a closed browser tab drops).
        assertTrue(holds("returned") >= returnedBefore + 1, "returned counted");
    }

    @Test
    void anAwayMemberKeepsItsPlaceInAFullLobbyAndIsListedAsAway() {
        String lobby = Tokens.unique("full");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c = Tokens.unique("c");
        try (TestSocket first = join(lobby, a); TestSocket second = join(lobby, b)) {
            TestSocket third = join(lobby, c);
            first.expect("member_joined");
            first.expect("member_joined");
            second.expect("member_joined");
            third.closeWith(1001); // a page going away
            assertEquals("dropped", first.expect("member_away").getString("reason"));
            second.expect("member_away");

            TestSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(Tokens.unique("d")))
                    .expectRejected(4002, "lobby_full");
            // A member's own replacement sees who is away.
            try (TestSocket again = TestSocket.join(base, lobby, Tokens.valid(a))) {
                JsonObject welcome = again.expect("welcome");
                assertEquals(Set.of(a, b, c), Set.copyOf(welcome.getJsonArray("members").getList()));
                assertEquals(new JsonArray(List.of(c)), welcome.getJsonArray("away"));
                try (TestSocket back = TestSocket.join(base, lobby, Tokens.valid(c))) {
                    assertEquals(new JsonArray(), back.expect("welcome").getJsonArray("away"));
                    assertEquals(c, second.expect("member_back").getString("user_id"));
                }
            }
        }
    }

    @Test
    void goingToAnotherLobbyFreesTheHeldSeat() {
        String lobby = Tokens.unique("old");
        String user = Tokens.unique("mover");
        double freedBefore = holds("freed");
        try (TestSocket w = join(lobby, Tokens.unique("w"))) {
            joinAndDrop(w, lobby, user);
            try (TestSocket elsewhere = join(Tokens.unique("new"), user)) {
                assertEquals(new JsonObject().put("type", "member_left").put("user_id", user).put("reason", "left"),
                        withoutOffset(w.expect("member_left")));
            }
        }
        // At least: other tests on this server may end holds meanwhile (a closed browser tab drops).
        assertTrue(holds("freed") >= freedBefore + 1, "freed counted");
    }

    @Test
    void aSilentMemberEvictedAsStaleIsAwayAndCanComeBack() {
        String lobby = Tokens.unique("stale");
        String user = Tokens.unique("frozen");
        try (TestSocket w = join(lobby, Tokens.unique("w"));
                TestSocket hung = TestSocket.join(base, lobby, Tokens.valid(user)).stopAnsweringPings()) {
            hung.expect("welcome");
            w.expect("member_joined");
            // Evicted 4004 after stale-after (3 s in tests); its seat is held, not freed.
            JsonObject away = w.nextOrClose(Duration.ofSeconds(20));
            assertEquals(new JsonObject().put("type", "member_away").put("user_id", user).put("reason", "stale")
                    .put("hold_ms", GRACE_MS), withoutOffset(away));
            assertEquals(new TestSocket.Close(4004, "stale"), hung.awaitClose());
            try (TestSocket back = join(lobby, user)) {
                assertEquals(user, w.expect("member_back").getString("user_id"));
            }
        }
    }

    @Test
    void aCleanLeaveFreesTheSeatAtOnce() {
        String lobby = Tokens.unique("clean");
        String user = Tokens.unique("leaver");
        try (TestSocket w = join(lobby, Tokens.unique("w"))) {
            TestSocket first = join(lobby, user);
            w.expect("member_joined");
            first.close();
            assertEquals("left", w.expect("member_left").getString("reason"));
        }
    }

    @Test
    void whenTheGraceRunsOutTheMemberLeavesWithTheReasonThatMadeItAway() {
        String lobby = Tokens.unique("expire");
        String user = Tokens.unique("gone");
        double expiredBefore = holds("expired");
        try (TestSocket w = join(lobby, Tokens.unique("w"))) {
            joinAndDrop(w, lobby, user);
            long awayAt = System.nanoTime();
            JsonObject left = w.nextOrClose(Duration.ofMillis(GRACE_MS + 15_000));
            long heldMs = (System.nanoTime() - awayAt) / 1_000_000;
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", user).put("reason", "dropped"),
                    withoutOffset(left));
            assertTrue(heldMs >= GRACE_MS - 1000, "held " + heldMs + " ms");
            // The seat is gone: the user comes back as a newcomer.
            try (TestSocket later = join(lobby, user)) {
                assertEquals("member_joined", w.expect("member_joined").getString("type"));
                assertFalse(later.isClosed());
            }
        }
        // At least: other tests on this server may end holds meanwhile (a closed browser tab drops).
        assertTrue(holds("expired") >= expiredBefore + 1, "expired counted");
    }

    @Test
    void theAdminApiShowsAnAwayMemberLogsItsMessagesAndKickFreesItsSeat() {
        String lobby = Tokens.unique("admin");
        String watcher = Tokens.unique("w");
        String user = Tokens.unique("away");
        try (TestSocket w = join(lobby, watcher)) {
            joinAndDrop(w, lobby, user);

            JsonObject detail = new JsonObject(admin().get("/api/v1/lobbies/" + lobby).then().statusCode(200)
                    .extract().asString());
            JsonObject member = detail.getJsonArray("members").stream().map(JsonObject.class::cast)
                    .filter(m -> user.equals(m.getString("user_id"))).findFirst().orElseThrow();
            assertEquals("away", member.getString("state"), member::encode);
            assertTrue(member.getLong("away_until") > System.currentTimeMillis(), member::encode);
            assertTrue(member.containsKey("rtt_ms") && member.getValue("rtt_ms") == null, member::encode);
            assertTrue(member.containsKey("node_id") && member.getValue("node_id") == null, member::encode);
            JsonObject other = detail.getJsonArray("members").getJsonObject(0);
            assertEquals("connected", other.getString("state"));
            assertEquals(2, lobbyLine(lobby).getInteger("member_count"), "an away member counts in the lobby");

            JsonObject status = new JsonObject(admin().get("/api/v1/users/" + user).then().statusCode(200).extract()
                    .asString());
            assertEquals(false, status.getBoolean("connected"));
            assertEquals(true, status.getBoolean("away"));
            assertEquals(lobby, status.getString("lobby"));
            assertTrue(status.getLong("away_until") > 0);

            assertEquals(new JsonObject().put("delivered", false).put("away", true), new JsonObject(admin()
                    .contentType("application/json").body("{\"data\":\"later\"}").post("/api/v1/users/" + user + "/messages")
                    .then().statusCode(200).extract().asString()));

            admin().delete("/api/v1/users/" + user + "/connection").then().statusCode(204);
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", user).put("reason", "kicked"),
                    withoutOffset(w.expect("member_left")));
            admin().delete("/api/v1/users/" + user + "/connection").then().statusCode(404);
        }
    }

    private static io.restassured.specification.RequestSpecification admin() {
        return given().header("Authorization", "Bearer test-admin-key");
    }

    private static JsonObject lobbyLine(String code) {
        JsonObject page = new JsonObject(admin().get("/api/v1/lobbies").then().statusCode(200).extract().asString());
        return page.getJsonArray("lobbies").stream().map(JsonObject.class::cast)
                .filter(l -> code.equals(l.getString("code"))).findFirst().orElseThrow();
    }

    private static JsonObject withoutOffset(JsonObject frame) {
        JsonObject copy = frame.copy();
        copy.remove("offset");
        return copy;
    }
}
