package dev.lobbyhub.cluster;

import static dev.lobbyhub.testing.Frames.awaitFrame;
import static dev.lobbyhub.testing.Frames.connected;
import static dev.lobbyhub.testing.Frames.deadline;
import static dev.lobbyhub.testing.Frames.isChat;
import static dev.lobbyhub.testing.Frames.isType;
import static dev.lobbyhub.testing.Frames.lobbyMembers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §9 and issue 9 with three packaged nodes, Redis failing under them: frozen (SIGSTOP, then SIGCONT)
 * and killed then replaced by an empty one on the same port. No node is restarted: each must notice,
 * refuse newcomers with 1013 while keeping its open connections, and recover by itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultRedisIT {

    private static final int MAX_PER_LOBBY = 5;
    /** SPEC §9: readiness DOWN within 5 s; one more for a busy 2-core machine. */
    private static final Duration DOWN_WITHIN = Duration.ofSeconds(6);
    /** Back to normal after Redis returns: generous, the nodes re-register everything they hold. */
    private static final Duration RECOVERED_WITHIN = Duration.ofSeconds(30);

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("faultredisit")
                .faultTimeouts()
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", Integer.toString(MAX_PER_LOBBY))
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

    private static AdminHttp admin() {
        return cluster.admin();
    }

    private TestSocket join(int index, String lobby, String user) {
        TestSocket socket = TestSocket.joinWelcomed(node(index), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    private static Set<String> members(JsonObject welcome) {
        JsonArray members = welcome.getJsonArray("members");
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < members.size(); i++) {
            assertTrue(ids.add(members.getString(i)), () -> "a member listed twice: " + welcome);
        }
        return ids;
    }

    private static void awaitJoins(TestSocket watcher, String... users) {
        long until = deadline(TestSocket.WAIT);
        for (String user : users) {
            awaitFrame(watcher, until, Frames.matches(Frames.joined(user)), f -> false, "member_joined " + user);
        }
    }

    private static long awaitEveryNode(int status, Duration within, long since) {
        Awaitility.await("every node's readiness " + status).atMost(within).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    for (int i = 0; i < cluster.size(); i++) {
                        if (cluster.readyStatus(i) != status) {
                            return false;
                        }
                    }
                    return true;
                });
        return (System.nanoTime() - since) / 1_000_000;
    }

    /** {@code from} sends a lobby message; {@code to} gets it, after whatever {@code skip} accepts. */
    private static void relayed(TestSocket from, TestSocket to, String what, Predicate<JsonObject> skip) {
        String data = Tokens.unique(what);
        from.send(Frames.lobbyMessage(data));
        awaitFrame(to, deadline(TestSocket.WAIT), f -> isChat(f) && data.equals(f.getValue("data")), skip, what);
    }

    /** Presence, chat, and the lobby state's changes (a new owner, or the state made afresh after a restart). */
    private static Predicate<JsonObject> presenceOrChat() {
        return f -> isChat(f) || isType(f, "member_joined") || isType(f, "member_left") || Frames.isStateChange(f);
    }

    // ---- SIGSTOP Redis ----

    @Test
    @Order(1)
    void aFrozenRedisTurnsEveryNodeUnreadyButSameNodeMembersKeepTalking() throws Exception {
        String lobby = Tokens.unique("frozen");
        String a1 = Tokens.unique("a1");
        String a2 = Tokens.unique("a2");
        String b1 = Tokens.unique("b1");
        String c1 = Tokens.unique("c1");
        TestSocket sa1 = join(0, lobby, a1);
        TestSocket sa2 = join(0, lobby, a2);
        TestSocket sb1 = join(1, lobby, b1);
        TestSocket sc1 = join(2, lobby, c1);
        awaitJoins(sa1, a2, b1, c1);
        awaitJoins(sa2, b1, c1);
        awaitJoins(sb1, c1);

        long frozenAt = System.nanoTime();
        cluster.redis().freeze();
        try {
            long down = awaitEveryNode(503, DOWN_WITHIN, frozenAt);
            System.out.println("Redis frozen: every node unready " + down + " ms after SIGSTOP");
            for (int i = 0; i < cluster.size(); i++) {
                try (TestSocket late = TestSocket.join(node(i), lobby, Tokens.valid(Tokens.unique("late")))) {
                    late.expectRejected(1013, "backplane_unavailable");
                }
            }
            // Two members on node-a still talk, both ways.
            relayed(sa1, sa2, "same-node-1", f -> false);
            relayed(sa2, sa1, "same-node-2", f -> false);
            for (TestSocket open : List.of(sa1, sa2, sb1, sc1)) {
                assertFalse(open.isClosed(), "open connections stay open");
            }
        } finally {
            cluster.redis().thaw();
        }
        long thawedAt = System.nanoTime();
        long up = awaitEveryNode(200, RECOVERED_WITHIN, thawedAt);
        System.out.println("Redis thawed: every node ready " + up + " ms after SIGCONT");

        // Newcomers are admitted again, and see everyone who stayed.
        String n = Tokens.unique("n");
        TestSocket sn = TestSocket.join(node(2), lobby, Tokens.valid(n));
        sockets.add(sn);
        assertEquals(Set.of(a1, a2, b1, c1, n), members(sn.expect("welcome")));
        // Messages cross nodes again (messages of the freeze may or may not arrive first: at most once).
        relayed(sa1, sb1, "after-thaw-a", presenceOrChat());
        relayed(sa1, sc1, "after-thaw-a2", presenceOrChat());
        relayed(sb1, sa2, "after-thaw-b", presenceOrChat());
        relayed(sn, sa1, "after-thaw-n", presenceOrChat());
        for (int i = 0; i < cluster.size(); i++) {
            assertEquals(Map.of(a1, cluster.nodeId(0), a2, cluster.nodeId(0), b1, cluster.nodeId(1),
                    c1, cluster.nodeId(2), n, cluster.nodeId(2)), lobbyMembers(admin(), node(i), lobby));
        }
    }

    // ---- kill -9 Redis, an empty one on the same port ----

    @Test
    @Order(2)
    void afterRedisRestartsEmptyPresenceSeatsAndRelayAreRightAgainWithoutRestartingNodes() throws Exception {
        String full = Tokens.unique("emptyfull");
        String lobby = Tokens.unique("empty");
        String f0 = Tokens.unique("f0");
        String f1 = Tokens.unique("f1");
        String f2 = Tokens.unique("f2");
        String f3 = Tokens.unique("f3");
        String f4 = Tokens.unique("f4");
        String ya = Tokens.unique("ya");
        String yb = Tokens.unique("yb");
        String yc = Tokens.unique("yc");
        TestSocket sf0 = join(0, full, f0);
        join(1, full, f1);
        TestSocket sf2 = join(2, full, f2);
        join(0, full, f3);
        join(1, full, f4);
        TestSocket sya = join(0, lobby, ya);
        TestSocket syb = join(1, lobby, yb);
        TestSocket syc = join(2, lobby, yc);
        awaitJoins(sf0, f1, f2, f3, f4);
        awaitJoins(sya, yb, yc);
        awaitJoins(syb, yc);
        try (TestSocket late = TestSocket.join(node(1), full, Tokens.valid(Tokens.unique("late")))) {
            late.expectRejected(4002, "lobby_full");
        }
        Map<String, String> fullBefore = lobbyMembers(admin(), node(0), full);
        assertEquals(MAX_PER_LOBBY, fullBefore.size(), fullBefore::toString);

        long killedAt = System.nanoTime();
        cluster.killRedis();
        long down = awaitEveryNode(503, DOWN_WITHIN, killedAt);
        System.out.println("Redis killed: every node unready " + down + " ms after the kill");
        // yc leaves during the outage; the node must remember to free the seat.
        syc.close();
        syc.awaitClose();
        for (TestSocket open : List.of(sf0, sf2, sya, syb)) {
            assertFalse(open.isClosed(), "open connections stay open");
        }

        cluster.startRedis();
        long startedAt = System.nanoTime();
        // Until every node is ready again, nobody gets into the full lobby (1013 or 4002, never a welcome).
        int attempts = 0;
        List<String> overAdmitted = new ArrayList<>();
        long until = deadline(RECOVERED_WITHIN);
        while (!everyNodeReady200()) {
            if (System.nanoTime() > until) {
                fail("not every node ready " + RECOVERED_WITHIN + " after Redis came back");
            }
            int index = attempts++ % cluster.size();
            try (TestSocket contender = TestSocket.join(node(index), full, Tokens.valid(Tokens.unique("contender")))) {
                JsonObject first = contender.nextOrClose();
                if (first != null) {
                    // Recorded and left at once; the checks below still run, this fails the test at the end.
                    overAdmitted.add(cluster.hostname(index) + " at " + (System.nanoTime() - startedAt) / 1_000_000
                            + " ms: " + first.encode());
                    continue;
                }
                TestSocket.Close close = contender.awaitClose();
                assertTrue(close.equals(new TestSocket.Close(1013, "backplane_unavailable"))
                        || close.equals(new TestSocket.Close(4002, "lobby_full")), close::toString);
            }
        }
        long up = (System.nanoTime() - startedAt) / 1_000_000;
        System.out.println("Redis back empty: every node ready " + up + " ms after it started (" + attempts
                + " contenders refused meanwhile)");

        // Presence and seat counts are right again, on every node.
        Awaitility.await("presence after an empty Redis").atMost(RECOVERED_WITHIN).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    for (int i = 0; i < cluster.size(); i++) {
                        assertEquals(Map.of(f0, cluster.nodeId(0), f1, cluster.nodeId(1), f2, cluster.nodeId(2),
                                f3, cluster.nodeId(0), f4, cluster.nodeId(1)), lobbyMembers(admin(), node(i), full), "full on " + i);
                        assertEquals(Map.of(ya, cluster.nodeId(0), yb, cluster.nodeId(1)),
                                lobbyMembers(admin(), node(i), lobby), "lobby on " + i);
                        assertFalse(connected(admin(), node(i), yc), "yc left during the outage");
                        JsonObject stats = admin().get(node(i), "/api/v1/stats").ok();
                        assertEquals(7, stats.getInteger("total_connections"), stats::encode);
                        Map<String, Integer> nodes = new HashMap<>(Frames.statsNodes(admin(), node(i)));
                        assertEquals(Map.of(cluster.nodeId(0), 3, cluster.nodeId(1), 3, cluster.nodeId(2), 1), nodes,
                                stats::encode);
                    }
                });
        System.out.println("Redis back empty: presence right " + (System.nanoTime() - startedAt) / 1_000_000
                + " ms after it started");

        // The full lobby is still full, whichever node one asks.
        for (int i = 0; i < cluster.size(); i++) {
            try (TestSocket late = TestSocket.join(node(i), full, Tokens.valid(Tokens.unique("late")))) {
                late.expectRejected(4002, "lobby_full");
            }
        }
        // Messages cross nodes again; the lobby logs were lost with Redis, so members heard
        // log_reset before the new epoch's frames (ClusterLobbyLogIT checks it).
        Predicate<JsonObject> afterRestart = f -> presenceOrChat().test(f) || isType(f, "log_reset");
        relayed(sya, syb, "after-restart-a", afterRestart);
        relayed(syb, sya, "after-restart-b", afterRestart);
        relayed(sf2, sf0, "after-restart-c", afterRestart);
        // A newcomer sees the members who stayed, and only them.
        String n = Tokens.unique("n");
        TestSocket sn = TestSocket.join(node(2), lobby, Tokens.valid(n));
        sockets.add(sn);
        assertEquals(Set.of(ya, yb, n), members(sn.expect("welcome")));
        assertTrue(overAdmitted.isEmpty(), () -> overAdmitted.size() + " contenders got into the full lobby before every"
                + " node was ready again:\n" + String.join("\n", overAdmitted));
    }

    private static boolean everyNodeReady200() {
        for (int i = 0; i < cluster.size(); i++) {
            if (cluster.readyStatus(i) != 200) {
                return false;
            }
        }
        return true;
    }
}
