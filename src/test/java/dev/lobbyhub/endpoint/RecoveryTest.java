package dev.lobbyhub.endpoint;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/**
 * The lobby log on one node (SPEC §11): offsets, {@code ack}, and a member coming back with
 * {@code since} and {@code epoch} recovering exactly what it missed, or being told it did not.
 */
@QuarkusTest
class RecoveryTest {

    @TestHTTPResource("/")
    URI base;

    private TestSocket resume(String lobby, String user, String since, String epoch) {
        StringBuilder query = new StringBuilder("/ws/" + lobby + "?token=" + Tokens.valid(user));
        if (since != null) {
            query.append("&since=").append(URLEncoder.encode(since, StandardCharsets.UTF_8));
        }
        if (epoch != null) {
            query.append("&epoch=").append(URLEncoder.encode(epoch, StandardCharsets.UTF_8));
        }
        return TestSocket.connect(base, query.toString());
    }

    private static JsonObject chat(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    private static JsonObject direct(String to, Object data) {
        return new JsonObject().put("type", "direct_message").put("to", to).put("data", data);
    }

    @Test
    void aMemberComingBackRecoversWhatItMissedInOrderThenLiveFrames() {
        String lobby = Tokens.unique("rec");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        String carol = Tokens.unique("carol");
        try (TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob));
                TestSocket first = TestSocket.join(base, lobby, Tokens.valid(alice))) {
            JsonObject welcome = first.expect("welcome");
            String epoch = welcome.getString("epoch");
            assertNotNull(epoch);
            assertEquals(2, welcome.getLong("offset"));
            assertNull(welcome.getValue("recovered"), "present only when since was given");
            b.expect("member_joined");
            b.send(chat(1));
            long seen = first.expect("lobby_message").getLong("offset");
            assertEquals(3, seen);

            // From here alice's first connection is gone as far as she knows: it reads nothing more.
            b.send(chat(2));
            b.send(direct(alice, "for alice"));
            try (TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(carol))) {
                b.send(direct(carol, "not for alice"));
                // Two senders' frames have no order between them: carol sends once bob's is in the log.
                c.expectSkipping("direct_message", frame -> "health_ping".equals(frame.getString("type")));
                c.send(chat(3));
                assertEquals(3, b.expectSkipping("lobby_message", frame -> "member_joined".equals(frame.getString("type")))
                        .getValue("data"));

                try (TestSocket second = resume(lobby, alice, Long.toString(seen), epoch)) {
                    JsonObject again = second.expect("welcome");
                    assertEquals(true, again.getBoolean("recovered"));
                    assertEquals(epoch, again.getString("epoch"));
                    // As of the seat taken over: after every entry so far (in cluster mode the take-over is one too).
                    long at = again.getLong("offset");
                    assertTrue(at >= 8, "welcome offset " + at);
                    assertEquals(Set.of(bob, carol, alice), Set.copyOf(again.getJsonArray("members").getList()));
                    List<JsonObject> replayed = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        replayed.add(second.next());
                    }
                    assertEquals(new TestSocket.Close(4005, "replaced"), first.awaitClose());
                    // What the first connection was sent after `seen`, exactly: same offsets, same ts.
                    List<JsonObject> sentToFirst = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        sentToFirst.add(first.next());
                    }
                    assertEquals(sentToFirst, replayed);
                    assertEquals(List.of(4L, 5L, 6L, 8L), replayed.stream().map(f -> f.getLong("offset")).toList());
                    assertEquals(List.of("lobby_message", "direct_message", "member_joined", "lobby_message"),
                            replayed.stream().map(f -> f.getString("type")).toList());

                    // Then live frames, none twice: the next one is bob's next message.
                    b.send(chat(4));
                    JsonObject live = second.next();
                    assertEquals(4, live.getValue("data"), live::encode);
                    assertEquals(at + 1, live.getLong("offset"));
                }
            }
        }
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("lobbyhub_recovery_total{result=\"recovered\"}"))
                .body(containsString("lobbyhub_log_gaps_total{outcome=\"lost\"}"));
    }

    @Test
    void aNewcomerWithABorrowedOffsetReadsNothing() {
        String lobby = Tokens.unique("rec");
        String bob = Tokens.unique("bob");
        try (TestSocket b = TestSocket.join(base, lobby, Tokens.valid(bob))) {
            String epoch = b.expect("welcome").getString("epoch");
            try (TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("carol")))) {
                c.send(chat("before dave"));
                b.expectSkipping("lobby_message", frame -> "member_joined".equals(frame.getString("type")));
                try (TestSocket dave = resume(lobby, Tokens.unique("dave"), "0", epoch)) {
                    JsonObject welcome = dave.expect("welcome");
                    assertEquals(false, welcome.getBoolean("recovered"));
                    c.send(chat("after dave"));
                    JsonObject next = dave.next();
                    assertEquals("after dave", next.getValue("data"), "live frames only: " + next.encode());
                }
            }
        }
    }

    @Test
    void aBadSinceOrEpochIsNotRecoveredAndNeverCloses() {
        String lobby = Tokens.unique("rec");
        String alice = Tokens.unique("alice");
        TestSocket current = TestSocket.join(base, lobby, Tokens.valid(alice));
        JsonObject welcome = current.expect("welcome");
        String epoch = welcome.getString("epoch");
        String valid = Long.toString(welcome.getLong("offset"));
        String[][] bad = { { "abc", epoch }, { "-1", epoch }, { "1.5", epoch }, { "", epoch },
                { "99999999999999999999", epoch }, { "1000", epoch }, { valid, "not-the-epoch" }, { valid, "" },
                { valid, "e".repeat(65) }, { valid, null }, { " 1", epoch } };
        try {
            for (String[] pair : bad) {
                TestSocket next = resume(lobby, alice, pair[0], pair[1]);
                String what = "since=" + pair[0] + " epoch=" + pair[1];
                JsonObject again = next.expect("welcome");
                assertEquals(false, again.getBoolean("recovered"), what);
                assertEquals(new TestSocket.Close(4005, "replaced"), current.awaitClose(), what);
                next.send(new JsonObject().put("type", "ping").put("id", "alive"));
                assertEquals("alive", next.expect("pong").getString("id"), what);
                current = next;
            }
            // And a good one still recovers (nothing was missed in between).
            TestSocket good = resume(lobby, alice, valid, epoch);
            assertEquals(true, good.expect("welcome").getBoolean("recovered"));
            current.awaitClose();
            current = good;
        } finally {
            current.close();
        }
    }

    @Test
    void recoveryNeverReachesBeforeTheSeatBegan() {
        String lobby = Tokens.unique("rec");
        String alice = Tokens.unique("alice");
        try (TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("bob")))) {
            b.send(chat("before alice").put("id", "b1"));
            b.expect("ack"); // in the log before alice takes her seat
            TestSocket first = TestSocket.join(base, lobby, Tokens.valid(alice));
            JsonObject welcome = first.expect("welcome");
            long seatStart = welcome.getLong("offset");
            assertEquals(3, seatStart, "bob's join, bob's message, alice's join");
            try (TestSocket second = resume(lobby, alice, Long.toString(seatStart - 1), welcome.getString("epoch"))) {
                assertEquals(false, second.expect("welcome").getBoolean("recovered"));
                first.awaitClose();
                b.send(chat("fence"));
                assertEquals("fence", second.next().getValue("data"), "nothing from before her seat was replayed");
            }
        }
    }

    @Test
    void messagesWithAnIdAreAcknowledgedWithTheirOffset() {
        String lobby = Tokens.unique("rec");
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("bob")))) {
            a.expect("member_joined");
            b.send(direct(alice, "hi").put("id", new JsonObject().put("n", 1)));
            JsonObject received = a.expect("direct_message");
            JsonObject ack = b.expect("ack");
            assertEquals(new JsonObject().put("type", "ack").put("id", new JsonObject().put("n", 1))
                    .put("offset", received.getLong("offset")), ack);
            b.send(chat("no id"));
            b.send(chat("with id").put("id", 7));
            a.expect("lobby_message");
            JsonObject second = a.expect("lobby_message");
            assertEquals(new JsonObject().put("type", "ack").put("id", 7).put("offset", second.getLong("offset")),
                    b.next(), "no ack for the message without an id");
        }
    }

    @Test
    void everyMemberHearsTheLobbyInOneOrder() {
        String lobby = Tokens.unique("rec");
        int rounds = 20;
        List<TestSocket> members = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                members.add(TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("m" + i))));
            }
            for (int i = 0; i < members.size(); i++) {
                for (int k = members.size() - 1 - i; k > 0; k--) {
                    members.get(i).expect("member_joined");
                }
            }
            // Everyone talks at once, and someone joins and leaves meanwhile.
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < members.size(); i++) {
                    members.get(i).send(chat(i * 100 + round));
                }
                if (round == 5) {
                    TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("passer"))).close();
                }
            }
            // Each hears the others' messages and the passer's join and leave, each entry with one
            // offset, the same frame for everyone, in offset order.
            Map<Long, JsonObject> byOffset = new HashMap<>();
            for (int i = 0; i < members.size(); i++) {
                long previous = 0;
                for (int n = 0; n < 3 * rounds + 2; n++) {
                    JsonObject frame = members.get(i).next();
                    long offset = frame.getLong("offset");
                    assertTrue(offset > previous, "member " + i + ": " + offset + " after " + previous);
                    previous = offset;
                    JsonObject other = byOffset.putIfAbsent(offset, frame);
                    if (other != null) {
                        assertEquals(other, frame, "offset " + offset);
                    }
                }
            }
            long first = byOffset.keySet().stream().min(Long::compare).orElseThrow();
            assertEquals(4 * rounds + 2, byOffset.size());
            assertEquals(first + byOffset.size() - 1, byOffset.keySet().stream().max(Long::compare).orElseThrow(),
                    "no offset skipped");
        } finally {
            members.forEach(TestSocket::close);
        }
    }
}
