package dev.lobbyhub.cluster;

import static dev.lobbyhub.testing.Frames.awaitFrame;
import static dev.lobbyhub.testing.Frames.connected;
import static dev.lobbyhub.testing.Frames.deadline;
import static dev.lobbyhub.testing.Frames.isChat;
import static dev.lobbyhub.testing.Frames.isType;
import static dev.lobbyhub.testing.Frames.left;
import static dev.lobbyhub.testing.Frames.lobbyMembers;
import static dev.lobbyhub.testing.Frames.statsNodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.Chatter;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §9 and issue 9 with three packaged nodes on one Redis, one node at a time going away: killed
 * ({@code kill -9}), paused longer than {@code cluster.node-timeout} (SIGSTOP, then SIGCONT), or
 * terminated under traffic (SIGTERM). The victim is always node-c; a test that ends it starts it again
 * afterwards (a new JVM, so a new {@code node_id}), and the others keep running for the whole class.
 */
class ClusterFaultNodesIT {

    private static final int MAX_PER_LOBBY = 4;
    private static final int VICTIM = 2;
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(3);
    /** SPEC: detection within node-timeout (+ one reap interval); 3 s more for a busy 2-core machine. */
    private static final Duration DETECTED_WITHIN = NODE_TIMEOUT.plusSeconds(3);
    /** From SIGCONT to the paused node's renewal, re-registration and re-claims. */
    private static final Duration RECLAIMED_WITHIN = Duration.ofSeconds(15);
    private static final long CHAT_PERIOD_MS = 200;

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("faultnodesit")
                .faultTimeouts()
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", Integer.toString(MAX_PER_LOBBY))
                .env("QUARKUS_SHUTDOWN_DELAY", "2s")
                .env("LOBBYHUB_SHUTDOWN_DRAIN_PERIOD", "1s")
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
    void closeSocketsAndBringTheVictimBack() throws Exception {
        sockets.forEach(TestSocket::close);
        if (!cluster.node(VICTIM).isAlive()) {
            cluster.restart(VICTIM);
        }
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

    /** Waits until {@code watcher} has seen each of {@code users} join (chat may come between). */
    private static void awaitJoins(TestSocket watcher, String... users) {
        long until = deadline(TestSocket.WAIT);
        for (String user : users) {
            awaitFrame(watcher, until, Frames.matches(Frames.joined(user)), Frames::isChat, "member_joined " + user);
        }
    }

    /**
     * Takes frames from {@code watcher} until it has seen one {@code member_left} with {@code reason} for each of
     * {@code users}; chat may come between, anything else fails (a second leave of the same user too).
     * Returns the milliseconds from {@code since} to the last of them.
     */
    private static long awaitLeaves(TestSocket watcher, String name, long since, String reason, Set<String> users) {
        Set<String> missing = new HashSet<>(users);
        long until = deadline(DETECTED_WITHIN.plusSeconds(10));
        while (!missing.isEmpty()) {
            JsonObject frame = awaitFrame(watcher, until, f -> isType(f, "member_left"), Frames::isChat,
                    name + ": member_left " + reason + " of " + missing);
            String user = frame.getString("user_id");
            assertTrue(missing.remove(user), () -> name + " got an unexpected or second leave " + frame.encode());
            assertEquals(left(user, reason), Frames.bare(frame), name);
        }
        return (System.nanoTime() - since) / 1_000_000;
    }

    /**
     * The fence: an admin lobby message sent now is {@code watcher}'s next frame, but for chat and what
     * {@code alsoAllowed} accepts; so no presence event the test did not expect came before it.
     */
    private static void fence(TestSocket watcher, String name, String lobby, Predicate<JsonObject> alsoAllowed) {
        String fence = Tokens.unique("fence");
        admin().post(node(1), "/api/v1/lobbies/" + lobby + "/messages", new JsonObject().put("data", fence)).ok();
        awaitFrame(watcher, deadline(TestSocket.WAIT), f -> isChat(f) && fence.equals(f.getValue("data")),
                f -> isChat(f) || alsoAllowed.test(f), name + ": the fence " + fence);
    }

    private static Predicate<JsonObject> nothingElse() {
        return f -> false;
    }

    // ---- kill -9 ----

    @Test
    void aKilledNodesMembersLeaveOnceWithNodeLostAndFreeTheirSeats() throws Exception {
        String full = Tokens.unique("killfull");
        String other = Tokens.unique("killother");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c1 = Tokens.unique("c1");
        String c2 = Tokens.unique("c2");
        String o = Tokens.unique("o");
        String c3 = Tokens.unique("c3");
        TestSocket sa = join(0, full, a);
        TestSocket sb = join(1, full, b);
        TestSocket sc1 = join(VICTIM, full, c1);
        TestSocket sc2 = join(VICTIM, full, c2);
        TestSocket so = join(0, other, o);
        TestSocket sc3 = join(VICTIM, other, c3);
        awaitJoins(sa, b, c1, c2);
        awaitJoins(sb, c1, c2);
        awaitJoins(so, c3);
        try (TestSocket late = TestSocket.join(node(1), full, Tokens.valid(Tokens.unique("late")))) {
            late.expectRejected(4002, "lobby_full");
        }
        String deadId = cluster.nodeId(VICTIM);

        long killedAt;
        try (Chatter chat = Chatter.start(List.of(sa, sb, sc1, sc2, so, sc3), CHAT_PERIOD_MS)) {
            // The dead node's members are talking when it dies: their chat reaches the other nodes.
            long until = deadline(TestSocket.WAIT);
            awaitFrame(sa, until, f -> isChat(f) && c2.equals(f.getString("from")), Frames::isChat, "chat from c2");
            awaitFrame(so, until, f -> isChat(f) && c3.equals(f.getString("from")), Frames::isChat, "chat from c3");
            killedAt = System.nanoTime();
            cluster.kill(VICTIM);

            long tookA = awaitLeaves(sa, "a", killedAt, "node_lost", Set.of(c1, c2));
            long tookB = awaitLeaves(sb, "b", killedAt, "node_lost", Set.of(c1, c2));
            long tookO = awaitLeaves(so, "o", killedAt, "node_lost", Set.of(c3));
            long took = Math.max(tookA, Math.max(tookB, tookO));
            System.out.println("kill -9: node_lost " + took + " ms after the kill (node-timeout " + NODE_TIMEOUT + ")");
            assertTrue(took <= DETECTED_WITHIN.toMillis(),
                    () -> "node_lost " + took + " ms after the kill; allowed " + DETECTED_WITHIN.toMillis());
        }
        for (TestSocket dead : List.of(sc1, sc2, sc3)) {
            dead.awaitClose();
        }

        // The admin API of both survivors forgets the dead node and its members.
        Awaitility.await("the dead node forgotten").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (int i = 0; i < 2; i++) {
                        for (String user : List.of(c1, c2, c3)) {
                            assertFalse(connected(admin(), node(i), user), user + " still connected on " + i);
                        }
                        assertEquals(Set.of(a, b), lobbyMembers(admin(), node(i), full).keySet());
                        assertEquals(Set.of(o), lobbyMembers(admin(), node(i), other).keySet());
                        Map<String, Integer> nodes = statsNodes(admin(), node(i));
                        assertFalse(nodes.containsKey(deadId), () -> "stats still list " + deadId + ": " + nodes);
                        assertEquals(Set.of(cluster.nodeId(0), cluster.nodeId(1)), nodes.keySet());
                        assertEquals(3, admin().get(node(i), "/api/v1/stats").ok().getInteger("total_connections"));
                    }
                });

        // Exactly once: nothing but chat before a fence sent after the reaping.
        fence(sa, "a", full, nothingElse());
        fence(sb, "b", full, nothingElse());
        fence(so, "o", other, nothingElse());

        // The full lobby has two free seats again, and only two.
        String n1 = Tokens.unique("n1");
        String n2 = Tokens.unique("n2");
        join(0, full, n1);
        join(1, full, n2);
        try (TestSocket late = TestSocket.join(node(1), full, Tokens.valid(Tokens.unique("late")))) {
            late.expectRejected(4002, "lobby_full");
        }
        awaitJoins(sa, n1, n2);
        assertEquals(Set.of(a, b, n1, n2), lobbyMembers(admin(), node(0), full).keySet());
    }

    // ---- SIGSTOP longer than node-timeout, then SIGCONT ----

    @Test
    void aPausedNodeIsReapedThenReclaimsFreeSeatsAndClosesTheOthers() throws Exception {
        String back = Tokens.unique("pauseback");
        String moved = Tokens.unique("pausemoved");
        String filled = Tokens.unique("pausefilled");
        String p = Tokens.unique("p");
        String pc = Tokens.unique("pc");
        String r = Tokens.unique("r");
        String u = Tokens.unique("u");
        String fc = Tokens.unique("fc");
        String f1 = Tokens.unique("f1");
        String f2 = Tokens.unique("f2");
        String f3 = Tokens.unique("f3");
        // back: pc's seat stays free while node-c is paused. moved: u connects on node-a meanwhile.
        // filled: a newcomer takes fc's seat meanwhile.
        TestSocket sp = join(0, back, p);
        TestSocket spc = join(VICTIM, back, pc);
        TestSocket sr = join(1, moved, r);
        TestSocket oldU = join(VICTIM, moved, u);
        TestSocket sf1 = join(0, filled, f1);
        TestSocket sf2 = join(1, filled, f2);
        TestSocket sf3 = join(0, filled, f3);
        TestSocket sfc = join(VICTIM, filled, fc);
        awaitJoins(sp, pc);
        awaitJoins(sr, u);
        awaitJoins(sf1, f2, f3, fc);
        awaitJoins(sf2, f3, fc);
        awaitJoins(sf3, fc);
        String pausedId = cluster.nodeId(VICTIM);
        String n = Tokens.unique("n");
        TestSocket newU;
        TestSocket sn;

        AtomicInteger mostInFilled = new AtomicInteger();
        long pausedAt = System.nanoTime();
        cluster.pause(VICTIM);
        try {
            long took = Math.max(awaitLeaves(sp, "p", pausedAt, "node_lost", Set.of(pc)),
                    awaitLeaves(sr, "r", pausedAt, "node_lost", Set.of(u)));
            for (TestSocket f : List.of(sf1, sf2, sf3)) {
                took = Math.max(took, awaitLeaves(f, "f", pausedAt, "node_lost", Set.of(fc)));
            }
            long detected = took;
            System.out.println("SIGSTOP: node_lost " + detected + " ms after the pause");
            assertTrue(detected <= DETECTED_WITHIN.toMillis(),
                    () -> "node_lost " + detected + " ms after the pause; allowed " + DETECTED_WITHIN.toMillis());
            Awaitility.await("the paused node reaped").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !statsNodes(admin(), node(0)).containsKey(pausedId));

            // Meanwhile u connects again on node-a, and a newcomer fills fc's seat.
            newU = join(0, moved, u);
            awaitJoins(sr, u);
            sn = join(1, filled, n);
            for (TestSocket f : List.of(sf1, sf2, sf3)) {
                awaitJoins(f, n);
            }
            assertEquals(Set.of(f1, f2, f3, n), lobbyMembers(admin(), node(0), filled).keySet());
            System.out.println("SIGSTOP: resuming " + (System.nanoTime() - pausedAt) / 1_000_000 + " ms after the pause");
        } finally {
            cluster.resume(VICTIM);
        }

        // No lobby goes over its limit while node-c comes back: sample the filled lobby until the end.
        try (Sampler sampler = new Sampler(() -> mostInFilled.accumulateAndGet(
                lobbyMembers(admin(), node(1), filled).size(), Math::max))) {
            // u's older connection on node-c gives way to the newer one, fc finds its lobby full.
            long until = deadline(RECLAIMED_WITHIN);
            TestSocket.Close uClose = awaitClose(oldU, until);
            TestSocket.Close fcClose = awaitClose(sfc, until);
            Map<String, Object> outcome = new LinkedHashMap<>();
            outcome.put("u's older connection", uClose);
            outcome.put("fc", fcClose);
            outcome.put("pc", spc.isClosed() ? spc.awaitClose() : "open");
            assertEquals(new TestSocket.Close(4005, "replaced"), uClose, () -> "after SIGCONT: " + outcome);
            assertEquals(new TestSocket.Close(4002, "lobby_full"), fcClose, () -> "after SIGCONT: " + outcome);
            // pc's seat was still free: it comes back, and p sees it join.
            awaitFrame(sp, until, Frames.matches(Frames.joined(pc)), Frames::isChat, "pc joining again");
            assertFalse(spc.isClosed(), () -> "pc's connection stays open: " + outcome);

            Awaitility.await("presence after the paused node came back").atMost(RECLAIMED_WITHIN)
                    .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                        for (int i = 0; i < cluster.size(); i++) {
                            Map<String, String> inBack = lobbyMembers(admin(), node(i), back);
                            assertEquals(Set.of(p, pc), inBack.keySet(), "back on " + i);
                            assertEquals(pausedId, inBack.get(pc), "pc is on the paused node");
                            assertEquals(Map.of(r, cluster.nodeId(1), u, cluster.nodeId(0)),
                                    lobbyMembers(admin(), node(i), moved), "moved on " + i);
                            assertEquals(Set.of(f1, f2, f3, n), lobbyMembers(admin(), node(i), filled).keySet(),
                                    "filled on " + i);
                            Map<String, Integer> nodes = statsNodes(admin(), node(i));
                            assertEquals(Set.of(cluster.nodeId(0), cluster.nodeId(1), pausedId), nodes.keySet(),
                                    "stats nodes on " + i);
                            assertEquals(1, nodes.get(pausedId), () -> "node-c holds only pc: " + nodes);
                        }
                    });
        }
        assertTrue(mostInFilled.get() <= MAX_PER_LOBBY, () -> "the filled lobby had " + mostInFilled.get() + " members");

        // pc talks again across nodes, both ways.
        spc.send(Frames.lobbyMessage("pc is back"));
        awaitFrame(sp, deadline(TestSocket.WAIT), f -> isChat(f) && "pc is back".equals(f.getValue("data")),
                f -> false, "pc's message");
        sp.send(Frames.lobbyMessage("welcome back"));
        awaitFrame(spc, deadline(TestSocket.WAIT), f -> isChat(f) && "welcome back".equals(f.getValue("data")),
                f -> isType(f, "member_joined") || isType(f, "member_left") || isChat(f), "p's message at pc");

        // Nobody saw u leave or join again, nor fc come back: nothing but chat before a fence.
        fence(sr, "r", moved, nothingElse());
        fence(newU, "u", moved, nothingElse());
        for (TestSocket f : List.of(sf1, sf2, sf3, sn)) {
            fence(f, "filled member", filled, nothingElse());
        }
        assertFalse(newU.isClosed(), "u's newer connection stays");
    }

    private static TestSocket.Close awaitClose(TestSocket socket, long deadline) {
        while (!socket.isClosed() && System.nanoTime() < deadline) {
            try {
                return socket.awaitClose();
            } catch (AssertionError notYet) {
                // TestSocket's own bound; ours may be longer
            }
        }
        return socket.awaitClose();
    }

    /** Runs {@code sample} every 100 ms on its own thread until closed; a failed sample fails {@link #close()}. */
    private static final class Sampler implements AutoCloseable {
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private volatile Throwable failure;

        Sampler(Runnable sample) {
            timer.scheduleWithFixedDelay(() -> {
                try {
                    sample.run();
                } catch (Throwable e) {
                    failure = e;
                    throw e;
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            // shutdown, not shutdownNow: interrupting a sample in flight would fail it for nothing.
            timer.shutdown();
            timer.awaitTermination(30, TimeUnit.SECONDS);
            if (failure != null) {
                throw new AssertionError("sampling failed", failure);
            }
        }
    }

    // ---- SIGTERM under traffic ----

    @Test
    void aTerminatedNodeSaysGoodbyeAndFreesEverySeat() throws Exception {
        String main = Tokens.unique("termmain");
        String other = Tokens.unique("termother");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c1 = Tokens.unique("c1");
        String c2 = Tokens.unique("c2");
        String t = Tokens.unique("t");
        String c3 = Tokens.unique("c3");
        TestSocket sa = join(0, main, a);
        TestSocket sb = join(1, main, b);
        TestSocket sc1 = join(VICTIM, main, c1);
        TestSocket sc2 = join(VICTIM, main, c2);
        TestSocket st = join(0, other, t);
        TestSocket sc3 = join(VICTIM, other, c3);
        awaitJoins(sa, b, c1, c2);
        awaitJoins(sb, c1, c2);
        awaitJoins(st, c3);
        String goneId = cluster.nodeId(VICTIM);

        long exitedAt;
        try (Chatter chat = Chatter.start(List.of(sa, sb, sc1, sc2, st, sc3), CHAT_PERIOD_MS)) {
            awaitFrame(sa, deadline(TestSocket.WAIT), f -> isChat(f) && c1.equals(f.getString("from")),
                    Frames::isChat, "chat from c1");
            long terminatedAt = System.nanoTime();
            cluster.terminate(VICTIM);

            Predicate<JsonObject> traffic = f -> isChat(f) || isType(f, "member_joined") || isType(f, "member_left");
            for (TestSocket leaving : List.of(sc1, sc2, sc3)) {
                JsonObject goodbye = awaitFrame(leaving, deadline(Duration.ofSeconds(20)),
                        f -> isType(f, "server_shutdown"), traffic, "server_shutdown");
                assertTrue(goodbye.containsKey("reconnect_after_ms"), goodbye::encode);
                assertEquals(new TestSocket.Close(1012, "server_shutdown:" + goodbye.getLong("reconnect_after_ms")),
                        leaving.awaitClose());
            }
            long took = Math.max(awaitLeaves(sa, "a", terminatedAt, "shutdown", Set.of(c1, c2)),
                    Math.max(awaitLeaves(sb, "b", terminatedAt, "shutdown", Set.of(c1, c2)),
                            awaitLeaves(st, "t", terminatedAt, "shutdown", Set.of(c3))));
            System.out.println("SIGTERM: member_left shutdown " + took + " ms after the signal");
            cluster.node(VICTIM).awaitExit(Duration.ofSeconds(30));
            exitedAt = System.nanoTime();
            System.out.println("SIGTERM: exited " + (exitedAt - terminatedAt) / 1_000_000 + " ms after the signal");
        }

        // Seats freed at once (they were freed as each connection closed).
        for (int i = 0; i < 2; i++) {
            assertEquals(Set.of(a, b), lobbyMembers(admin(), node(i), main).keySet());
            assertEquals(Set.of(t), lobbyMembers(admin(), node(i), other).keySet());
            for (String user : List.of(c1, c2, c3)) {
                assertFalse(connected(admin(), node(i), user), user);
            }
        }
        // The node's lease goes with it (removed at the end of the drain; generous bound).
        Awaitility.await("the terminated node gone from stats").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> !statsNodes(admin(), node(0)).containsKey(goneId)
                        && !statsNodes(admin(), node(1)).containsKey(goneId));
        System.out.println("SIGTERM: gone from stats " + (System.nanoTime() - exitedAt) / 1_000_000
                + " ms after the exit");

        // Once each: no further leave (nor node_lost from a reaper) before a fence.
        fence(sa, "a", main, nothingElse());
        fence(sb, "b", main, nothingElse());
        fence(st, "t", other, nothingElse());
        Map<String, Integer> nodes = new LinkedHashMap<>(statsNodes(admin(), node(1)));
        assertEquals(Set.of(cluster.nodeId(0), cluster.nodeId(1)), nodes.keySet(), nodes::toString);
    }
}
