package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §9 with three packaged nodes on one Redis: lobby membership, presence events, lobby and direct
 * messages work whichever node each client is connected to, and one sender's messages reach every
 * receiver in order (§3). The inbound rate limit is lifted so one client can send 1,000 messages at once.
 */
class ClusterRelayIT {

    private static final int MESSAGES = 1_000;

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("relayit")
                .env("LOBBYHUB_LIMITS_MESSAGES_PER_SECOND", "100000")
                .env("LOBBYHUB_LIMITS_BURST", "100000")
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static URI node(int index) {
        return cluster.base(index);
    }

    private static Set<String> members(JsonObject welcome) {
        JsonArray members = welcome.getJsonArray("members");
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < members.size(); i++) {
            assertTrue(ids.add(members.getString(i)), () -> "a member listed twice: " + welcome);
        }
        return ids;
    }

    private static JsonObject lobbyMessage(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    private static JsonObject directMessage(String to, Object data) {
        return new JsonObject().put("type", "direct_message").put("to", to).put("data", data);
    }

    private static void assertRelayed(JsonObject message, String type, String from, Object data, long before) {
        assertEquals(type, message.getString("type"), message::encode);
        assertEquals(from, message.getString("from"), message::encode);
        assertEquals(data, message.getValue("data"), message::encode);
        long ts = message.getLong("ts");
        assertTrue(ts >= before - 1_000 && ts <= System.currentTimeMillis() + 1_000, () -> "ts " + ts + " in " + message);
    }

    @Test
    void presenceAndMessagesCrossNodes() {
        String lobby = Tokens.unique("xnode");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.join(node(0), lobby, Tokens.valid(alice))) {
            JsonObject aliceWelcome = a.expect("welcome");
            assertEquals(alice, aliceWelcome.getString("user_id"));
            assertEquals(lobby, aliceWelcome.getString("lobby"));
            assertEquals(Set.of(alice), members(aliceWelcome));

            TestSocket b = TestSocket.join(node(1), lobby, Tokens.valid(bob));
            try {
                JsonObject bobWelcome = b.expect("welcome");
                assertEquals(bob, bobWelcome.getString("user_id"));
                assertEquals(Set.of(alice, bob), members(bobWelcome), "bob on node-b sees alice on node-a");
                assertEquals(new JsonObject().put("type", "member_joined").put("user_id", bob), Frames.bare(a.next()));

                long before = System.currentTimeMillis();
                JsonObject data = new JsonObject().put("move", "e4").put("seq", 1);
                a.send(lobbyMessage(data));
                assertRelayed(b.next(), "lobby_message", alice, data, before);

                a.send(directMessage(bob, "psst"));
                assertRelayed(b.next(), "direct_message", alice, "psst", before);
                b.send(directMessage(alice, new JsonArray().add(1).add("two")));
                assertRelayed(a.next(), "direct_message", bob, new JsonArray().add(1).add("two"), before);
            } finally {
                b.close();
            }
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", bob).put("reason", "left"), Frames.bare(a.next()));

            // Bob is gone from the lobby cluster-wide: a direct message to him is refused.
            a.send(directMessage(bob, "still there?").put("id", "dm-after-leave"));
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"), error::encode);
            assertEquals("dm-after-leave", error.getString("ref"));
        }
    }

    @Test
    void directMessageToAUserInAnotherLobbyOnAnotherNodeIsUserNotFound() {
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(node(0), Tokens.unique("here"), Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(node(1), Tokens.unique("there"), Tokens.valid(bob))) {
            a.send(directMessage(bob, "hello?").put("id", "elsewhere"));
            JsonObject error = a.expect("error");
            assertEquals("user_not_found", error.getString("code"), error::encode);
            assertEquals("elsewhere", error.getString("ref"));
        }
    }

    @Test
    void aThirdNodeSeesPresenceEventsInTheOrderTheSeatsChanged() {
        String lobby = Tokens.unique("order");
        String watcher = Tokens.unique("watcher");
        String helper = Tokens.unique("helper");
        String xavier = Tokens.unique("xavier");
        String yasmin = Tokens.unique("yasmin");
        try (TestSocket w = TestSocket.joinWelcomed(node(2), lobby, Tokens.valid(watcher));
                TestSocket h = TestSocket.joinWelcomed(node(0), lobby, Tokens.valid(helper));
                TestSocket x = TestSocket.joinWelcomed(node(0), lobby, Tokens.valid(xavier));
                TestSocket y = TestSocket.joinWelcomed(node(1), lobby, Tokens.valid(yasmin))) {
            // Each join began after the previous welcome, so the seats changed in this order.
            assertEquals(new JsonObject().put("type", "member_joined").put("user_id", xavier), Frames.bare(h.next()));
            assertEquals(new JsonObject().put("type", "member_joined").put("user_id", yasmin), Frames.bare(h.next()));
            x.close();
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", xavier).put("reason", "left"), Frames.bare(h.next()));
            // xavier's seat is gone (the helper saw it) before yasmin leaves.
            y.close();
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", yasmin).put("reason", "left"), Frames.bare(h.next()));

            List<JsonObject> expected = List.of(
                    new JsonObject().put("type", "member_joined").put("user_id", helper),
                    new JsonObject().put("type", "member_joined").put("user_id", xavier),
                    new JsonObject().put("type", "member_joined").put("user_id", yasmin),
                    new JsonObject().put("type", "member_left").put("user_id", xavier).put("reason", "left"),
                    new JsonObject().put("type", "member_left").put("user_id", yasmin).put("reason", "left"));
            for (JsonObject event : expected) {
                assertEquals(event, Frames.bare(w.next()), "the watcher on node-c sees the seat changes in order");
            }
        }
    }

    @Test
    void oneSendersThousandMessagesArriveInOrderOnEveryNode() {
        String lobby = Tokens.unique("burst");
        String sender = Tokens.unique("sender");
        List<String> receiverIds = List.of(Tokens.unique("same-node"), Tokens.unique("on-b"), Tokens.unique("on-c"));
        try (TestSocket a = TestSocket.joinWelcomed(node(0), lobby, Tokens.valid(sender));
                TestSocket sameNode = TestSocket.joinWelcomed(node(0), lobby, Tokens.valid(receiverIds.get(0)));
                TestSocket onB = TestSocket.joinWelcomed(node(1), lobby, Tokens.valid(receiverIds.get(1)));
                TestSocket onC = TestSocket.joinWelcomed(node(2), lobby, Tokens.valid(receiverIds.get(2)))) {
            // The sender has seen every receiver join, so every receiver holds its seat before the first message.
            for (String receiver : receiverIds) {
                assertEquals(new JsonObject().put("type", "member_joined").put("user_id", receiver), Frames.bare(a.next()));
            }
            for (int n = 0; n < MESSAGES; n++) {
                a.send(lobbyMessage(new JsonObject().put("n", n)));
            }
            String fence = Tokens.unique("fence");
            a.send(lobbyMessage(new JsonObject().put("fence", fence)));

            List<TestSocket> receivers = List.of(sameNode, onB, onC);
            for (int r = 0; r < receivers.size(); r++) {
                TestSocket receiver = receivers.get(r);
                String who = receiverIds.get(r);
                // Receiver r sees the later receivers join, once each; those joins may interleave with the messages.
                Set<String> joinsDue = new HashSet<>(receiverIds.subList(r + 1, receiverIds.size()));
                int expected = 0;
                while (true) {
                    JsonObject frame = receiver.next();
                    String type = frame.getString("type");
                    if ("member_joined".equals(type)) {
                        assertTrue(joinsDue.remove(frame.getString("user_id")), () -> who + " got " + frame);
                        continue;
                    }
                    if (!"lobby_message".equals(type) || !sender.equals(frame.getString("from"))) {
                        fail(who + " expected message n=" + expected + " from " + sender + " but got " + frame);
                    }
                    JsonObject data = frame.getJsonObject("data");
                    if (expected == MESSAGES) {
                        // Nothing from the sender after the 1,000th but the fence: no message came twice.
                        assertEquals(new JsonObject().put("fence", fence), data, () -> who + " got " + frame);
                        break;
                    }
                    Integer n = data.getInteger("n");
                    if (n == null || n != expected) {
                        fail(who + " expected n=" + expected + " but got " + frame);
                    }
                    expected++;
                }
                assertEquals(Set.of(), joinsDue, who + " missed joins");
            }
        }
    }
}
