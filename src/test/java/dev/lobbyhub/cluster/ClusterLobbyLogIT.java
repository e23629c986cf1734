package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §11 on three packaged nodes and one Redis: one offset order per lobby whichever node each
 * member is on, a member coming back on another node recovers what it missed, entries a node's
 * subscription lost are read back from the log, and a Redis restarted empty starts a new epoch.
 */
class ClusterLobbyLogIT {

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("logit").faultTimeouts()
                .env("LOBBYHUB_LIMITS_MESSAGES_PER_SECOND", "1000")
                .env("LOBBYHUB_LIMITS_BURST", "1000")
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
    void closeSockets() {
        sockets.forEach(TestSocket::close);
    }

    private static URI node(int index) {
        return cluster.base(index);
    }

    private TestSocket join(int index, String lobby, String user) {
        TestSocket socket = TestSocket.join(node(index), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    private TestSocket resume(int index, String lobby, String user, long since, String epoch) {
        TestSocket socket = TestSocket.connect(node(index), "/ws/" + lobby + "?token=" + Tokens.valid(user) + "&since="
                + since + "&epoch=" + URLEncoder.encode(epoch, StandardCharsets.UTF_8));
        sockets.add(socket);
        return socket;
    }

    private static JsonObject chat(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    private static JsonObject direct(String to, Object data) {
        return new JsonObject().put("type", "direct_message").put("to", to).put("data", data);
    }

    private static boolean isJoin(JsonObject frame) {
        return "member_joined".equals(frame.getString("type"));
    }

    @Test
    void aMemberComingBackOnAnotherNodeRecoversWhatItMissedInOrder() {
        String lobby = Tokens.unique("logx");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        String carol = Tokens.unique("carol");
        TestSocket b = join(1, lobby, bob);
        b.expect("welcome");
        TestSocket first = join(0, lobby, alice);
        JsonObject welcome = first.expect("welcome");
        String epoch = welcome.getString("epoch");
        b.expect("member_joined");
        b.send(chat(1));
        long seen = first.expect("lobby_message").getLong("offset");

        // From here alice's first connection reads nothing more; meanwhile the lobby goes on.
        TestSocket c = join(2, lobby, carol);
        c.expect("welcome");
        b.send(chat(2));
        b.send(direct(alice, "for alice"));
        b.send(direct(carol, "not for alice"));
        c.send(chat(3));
        assertEquals(3, b.expectSkipping("lobby_message", ClusterLobbyLogIT::isJoin).getValue("data"));

        TestSocket second = resume(2, lobby, alice, seen, epoch);
        JsonObject again = second.expect("welcome");
        assertEquals(true, again.getBoolean("recovered"), again::encode);
        assertEquals(epoch, again.getString("epoch"));
        assertEquals(Set.of(alice, bob, carol), Set.copyOf(again.getJsonArray("members").getList()));
        List<JsonObject> replayed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replayed.add(second.next());
        }
        assertEquals(new TestSocket.Close(4005, "replaced"), first.awaitClose());
        List<JsonObject> sentToFirst = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sentToFirst.add(first.next());
        }
        assertEquals(sentToFirst, replayed, "what the first connection was sent after its offset, exactly");
        assertEquals(List.of("member_joined", "lobby_message", "direct_message", "lobby_message"),
                replayed.stream().map(f -> f.getString("type")).toList());
        for (int i = 1; i < replayed.size(); i++) {
            assertTrue(replayed.get(i).getLong("offset") > replayed.get(i - 1).getLong("offset"), replayed::toString);
        }
        assertTrue(replayed.get(3).getLong("offset") <= again.getLong("offset"), "replayed entries are at or below the welcome");

        b.send(chat(4));
        JsonObject live = second.next();
        assertEquals(4, live.getValue("data"), live::encode);
        assertTrue(live.getLong("offset") > again.getLong("offset"));
        // Bob's node appended his messages; every node delivered some from the log, his own too.
        assertTrue(cluster.metric(1, "lobbyhub_backplane_messages_total", "direction=\"published\"") >= 6);
        for (int node = 0; node < 3; node++) {
            assertTrue(cluster.metric(node, "lobbyhub_backplane_messages_total", "direction=\"received\"") >= 1,
                    "node " + node + " counts the log's messages it received");
        }
    }

    /**
     * One sender's messages reach every receiver once and in order, and every message that reached
     * the log (acknowledged) reaches every receiver on another node. On the sender's own node, the
     * messages it handed out by itself while it could not reach the log go first: an earlier one
     * read back from the log afterwards is not handed out there (delivery is at most once, order is
     * kept).
     */
    @Test
    void entriesASubscriptionLostAreReadBackFromTheLog() throws Exception {
        String lobby = Tokens.unique("logsub");
        String sender = Tokens.unique("sender");
        TestSocket s = join(0, lobby, sender);
        s.expect("welcome");
        List<TestSocket> receivers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestSocket r = join(i, lobby, Tokens.unique("r" + i));
            r.expect("welcome");
            receivers.add(r);
        }
        int killAt = 100;
        Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        Thread reader = new Thread(() -> {
            while (true) {
                JsonObject frame = s.nextOrClose(Duration.ofSeconds(60));
                if (frame == null) {
                    return;
                }
                if ("ack".equals(frame.getString("type"))) {
                    acknowledged.add(frame.getInteger("id"));
                }
            }
        });
        reader.setDaemon(true);
        reader.start();
        // Messages every 5 ms; the subscriptions are killed after the 100th; the sender goes on until
        // 50 messages sent after that reached the log again (the nodes replaced their subscriptions).
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (int n = 0; n < 3 * killAt || acknowledgedAfter(acknowledged, killAt) < 50; n++) {
            assertTrue(System.nanoTime() < until, "the log took messages again: " + acknowledgedAfter(acknowledged, killAt));
            s.send(chat(n).put("id", n));
            if (n == killAt) {
                assertTrue(cluster.redis().killClients("pubsub") >= 1, "the subscriptions dropped");
            }
            Thread.sleep(5);
        }
        cluster.awaitAllReady();
        s.send(chat("fence").put("id", -1));
        for (int i = 0; i < receivers.size(); i++) {
            List<Integer> got = new ArrayList<>();
            long previous = 0;
            while (true) {
                JsonObject frame = receivers.get(i).next();
                if (!"lobby_message".equals(frame.getString("type"))) {
                    continue; // joins of the receivers after this one
                }
                Long offset = frame.getLong("offset");
                if (offset != null) {
                    assertTrue(offset > previous, "receiver " + i + ": offset " + offset + " after " + previous);
                    previous = offset;
                }
                if ("fence".equals(frame.getValue("data"))) {
                    break;
                }
                got.add(frame.getInteger("data"));
            }
            assertEquals(new HashSet<>(got).size(), got.size(), "receiver " + i + " got a message twice: " + got);
            for (int k = 1; k < got.size(); k++) {
                assertTrue(got.get(k) > got.get(k - 1), "receiver " + i + " out of order: " + got);
            }
            if (i > 0) {
                Set<Integer> missing = new HashSet<>(acknowledged);
                missing.removeAll(got);
                missing.remove(-1);
                assertEquals(Set.of(), missing, "receiver " + i + " misses messages that were in the log");
            }
        }
    }

    private static long acknowledgedAfter(Set<Integer> acknowledged, int killAt) {
        return acknowledged.stream().filter(id -> id > killAt).count();
    }

    @Test
    void aRedisRestartedEmptyStartsANewEpoch() throws Exception {
        String lobby = Tokens.unique("logepoch");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        TestSocket b = join(1, lobby, bob);
        b.expect("welcome");
        // Alice takes her seat late in the old epoch: at offset 21, above where the new epoch will be.
        for (int i = 0; i < 20; i++) {
            b.send(chat("before " + i).put("id", i));
            b.expect("ack");
        }
        TestSocket a = join(0, lobby, alice);
        JsonObject welcome = a.expect("welcome");
        String epoch = welcome.getString("epoch");
        assertTrue(welcome.getLong("offset") > 20, welcome::encode);
        b.expect("member_joined");

        cluster.killRedis();
        cluster.startRedis();
        cluster.awaitAllReady();
        JsonObject reset = a.expectSkipping("log_reset", frame -> true);
        assertNotEquals(epoch, reset.getString("epoch"), reset::encode);
        long resetAt = reset.getLong("offset");

        // Admission waits for every node to put its members back: then the lobby talks in the new epoch,
        // at offsets below where Alice took her seat in the old one; she hears them all the same.
        b.send(chat("after"));
        JsonObject after = a.expectSkipping("lobby_message", frame -> !"lobby_message".equals(frame.getString("type")));
        assertEquals("after", after.getValue("data"), after::encode);
        assertTrue(after.getLong("offset") > resetAt, after::encode);
        assertTrue(after.getLong("offset") < welcome.getLong("offset"), "the case this test is for: " + after.encode());

        TestSocket again = resume(2, lobby, alice, welcome.getLong("offset"), epoch);
        JsonObject second = again.expect("welcome");
        assertEquals(false, second.getBoolean("recovered"), "the old epoch's log is gone: " + second.encode());
        assertEquals(reset.getString("epoch"), second.getString("epoch"));
    }
}
