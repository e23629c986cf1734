package dev.lobbyhub.cluster;

import static dev.lobbyhub.testing.Frames.awaitFrame;
import static dev.lobbyhub.testing.Frames.deadline;
import static dev.lobbyhub.testing.Frames.isChat;
import static dev.lobbyhub.testing.Frames.isType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
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
import dev.lobbyhub.testing.RedisProxy;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §9 under faults of single Redis connections, with two packaged nodes: node-a reaches Redis only
 * through its own {@link RedisProxy}, so its connections can be black-holed while Redis and node-b go on;
 * Redis's own {@code CLIENT KILL} cuts connections of both nodes; SIGSTOP freezes Redis for everyone.
 *
 * <p>Every case starts on a clean cluster: every node ready, no connection counted anywhere. A case that
 * leaves it dirty (ghost seats, phantom sessions, a node that does not get ready again) is reported on
 * standard output, and both nodes are restarted before the next case, so that each case tests its own
 * rule and not an earlier case's leftovers. The figures each case measured are printed with its letter
 * ({@code a.} … {@code g.}).
 *
 * <p>Run alone: {@code ./mvnw -B -ntp verify -Dit.test=ClusterFaultConnectionIT -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false -Dcluster.tests.skip=true}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultConnectionIT {

    private static final int PROXIED = 0;
    private static final int OTHER = 1;
    private static final int MAX_PER_LOBBY = 5;
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(1);
    /** node-timeout plus a wide margin for a small, busy machine. */
    private static final Duration WITHIN_NODE_TIMEOUT = NODE_TIMEOUT.plusSeconds(7);
    /** SPEC §9: an admin call answers within redis-timeout; 2 s more for a busy machine. */
    private static final Duration ADMIN_WITHIN = REDIS_TIMEOUT.plusSeconds(2);
    /** SPEC §9: readiness DOWN within 5 s; margin for a busy machine. */
    private static final Duration DOWN_WITHIN = Duration.ofSeconds(10);
    /** SPEC §9: ready again within 5 s of Redis being reachable; margin for a busy machine. */
    private static final Duration READY_AGAIN_WITHIN = Duration.ofSeconds(10);
    /** How long the tests wait after a fault for the nodes to be back before they go on (not a SPEC figure). */
    private static final Duration RECOVERED_WITHIN = Duration.ofSeconds(30);
    private static final Pattern STACK_LINE = Pattern.compile("(?m)^(\\s+at [\\w.$]+\\(.*\\)|Caused by: .*)$");

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();
    /** What the last case left wrong, to be cleaned before the next one; empty when clean. */
    private static String leftDirty = "";

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(2).keyPrefix("faultconnit")
                .faultTimeouts()
                .proxied(PROXIED)
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
    void cleanCluster() throws Exception {
        if (!leftDirty.isEmpty()) {
            System.out.println("the last case left the cluster dirty (" + leftDirty + "): restarting both nodes");
            cluster.restartAll();
            String still = awaitClean(WITHIN_NODE_TIMEOUT.plusSeconds(5));
            assertTrue(still.isEmpty(), () -> "still dirty after restarting the nodes: " + still);
            leftDirty = "";
        }
        cluster.awaitAllReady();
    }

    /** Undoes the faults, closes this case's sockets, and notes whether the case left the cluster dirty. */
    @AfterEach
    void leaveTheClusterClean() throws Exception {
        cluster.proxy(PROXIED).heal();
        if (!cluster.redis().isAlive()) {
            cluster.startRedis();
        }
        cluster.redis().thaw();
        for (TestSocket socket : sockets) {
            socket.close();
        }
        for (TestSocket socket : sockets) {
            try {
                socket.awaitClose();
            } catch (AssertionError notClosed) {
                socket.abort();
            }
        }
        sockets.clear();
        leftDirty = awaitClean(WITHIN_NODE_TIMEOUT);
    }

    /** Waits until every node is ready and counts no connection; returns what is still wrong, or "". */
    private static String awaitClean(Duration within) {
        long until = deadline(within);
        String dirt;
        do {
            dirt = dirt();
            if (dirt.isEmpty()) {
                return dirt;
            }
            pause(Duration.ofMillis(250));
        } while (System.nanoTime() < until);
        return dirt;
    }

    private static String dirt() {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.node(i).isAlive()) {
                wrong.add(cluster.hostname(i) + " exited");
                continue;
            }
            try {
                ClusterNodes.Readiness ready = cluster.readiness(i);
                double gauge = cluster.metric(i, "lobbyhub_connections_active");
                if (ready.status() != 200 || ready.connections() != 0 || gauge != 0) {
                    wrong.add(cluster.hostname(i) + " readiness " + ready.status() + " " + ready.data().encode()
                            + ", gauge " + gauge);
                }
            } catch (AssertionError | RuntimeException unanswered) {
                wrong.add(cluster.hostname(i) + ": " + unanswered.getMessage());
            }
        }
        if (wrong.isEmpty()) {
            try {
                AdminHttp.Answer stats = admin().get(node(OTHER), "/api/v1/stats");
                if (stats.status() != 200 || new JsonObject(stats.body()).getInteger("total_connections") != 0) {
                    wrong.add("stats " + stats.status() + " " + stats.body());
                }
            } catch (AssertionError | RuntimeException unanswered) {
                wrong.add("stats: " + unanswered.getMessage());
            }
        }
        return String.join("; ", wrong);
    }

    /** A pause that only spaces out polls or fault actions; never a wait for something to happen. */
    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static URI node(int index) {
        return cluster.base(index);
    }

    private static AdminHttp admin() {
        return cluster.admin();
    }

    private TestSocket join(int index, String lobby, String user) {
        TestSocket socket = TestSocket.join(node(index), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    /** A connection's first answer: its socket, and either its {@code welcome} or how it was refused. */
    private record Admission(TestSocket socket, JsonObject welcome, TestSocket.Close refusal) {
    }

    /**
     * Connects; a refusal with 1013 {@code backplane_unavailable} (the node is reconciling with Redis, which is
     * not what the calling case is about) is retried once the node is ready again, for up to
     * {@link #RECOVERED_WITHIN}, with a line on standard output. Any other refusal is returned.
     */
    private Admission admit(int index, String lobby, String user) {
        return admit(index, lobby, user, RECOVERED_WITHIN);
    }

    /** As {@link #admit(int, String, String)}, retrying 1013 for up to {@code within}. */
    private Admission admit(int index, String lobby, String user, Duration within) {
        long until = deadline(within);
        int refusals = 0;
        while (true) {
            TestSocket socket = join(index, lobby, user);
            JsonObject first = socket.nextOrClose();
            if (first != null) {
                return new Admission(socket, first, null);
            }
            TestSocket.Close close = socket.awaitClose();
            if (!close.equals(new TestSocket.Close(1013, "backplane_unavailable")) || System.nanoTime() > until) {
                return new Admission(socket, null, close);
            }
            if (refusals++ == 0) {
                System.out.println("  " + user + " refused 1013 by " + cluster.hostname(index) + " (readiness "
                        + cluster.readyStatus(index) + "); trying again for up to " + within.toSeconds() + " s");
            }
            awaitStatus(index, 200, RECOVERED_WITHIN);
            pause(Duration.ofMillis(300));
        }
    }

    /** Connects (see {@link #admit}) and checks that the first frame is the welcome. */
    private TestSocket joinWelcomed(int index, String lobby, String user) {
        Admission admission = admit(index, lobby, user);
        assertTrue(admission.welcome() != null, () -> user + " refused by " + cluster.hostname(index) + ": "
                + admission.refusal());
        assertEquals("welcome", admission.welcome().getString("type"), admission.welcome()::encode);
        return admission.socket();
    }

    private static void awaitJoins(TestSocket watcher, String... users) {
        long until = deadline(TestSocket.WAIT);
        for (String user : users) {
            awaitFrame(watcher, until, Frames.matches(Frames.joined(user)), f -> isChat(f) || Frames.isStateChange(f),
                    "member_joined " + user);
        }
    }

    private static boolean isPresence(JsonObject frame) {
        return isType(frame, "member_joined") || isType(frame, "member_left");
    }

    /** No flapping: the proxied node's readiness, looked at every 100 ms for 5 s; each look that was not 200. */
    private static List<String> unreadyLooks(long healedAt) {
        List<String> flaps = new ArrayList<>();
        long sampleUntil = deadline(Duration.ofSeconds(5));
        while (System.nanoTime() < sampleUntil) {
            int status = cluster.readyStatus(PROXIED);
            if (status != 200) {
                flaps.add(status + " at " + millisSince(healedAt) + " ms");
            }
            pause(Duration.ofMillis(100));
        }
        return flaps;
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    /** Runs {@code action} over and over in a daemon thread until closed; counts the runs and what they killed. */
    private static final class Repeatedly implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong runs = new AtomicLong();
        private final AtomicLong total = new AtomicLong();
        private final Thread thread;

        Repeatedly(String name, Duration every, Supplier<Long> action) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        total.addAndGet(action.get());
                        runs.incrementAndGet();
                    } catch (RuntimeException failed) {
                        // Redis busy or frozen: try again
                    }
                    pause(every);
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    // ---- a. no ghost seats after failed releases ----

    /**
     * SPEC §9: "A seat whose connection has closed is released in Redis (freed, or held under §10) within
     * {@code cluster.node-timeout}, also when its release failed".
     */
    @Test
    @Order(1)
    void seatsOfClosedConnectionsAreReleasedEvenWhenTheirReleaseFailed() throws Exception {
        int lobbies = 12;
        List<String> codes = new ArrayList<>();
        Map<String, List<String>> usersOf = new LinkedHashMap<>();
        List<String> users = new ArrayList<>();
        List<TestSocket> members = new ArrayList<>();
        for (int l = 0; l < lobbies; l++) {
            String code = Tokens.unique("ghost" + l);
            codes.add(code);
            for (int m = 0; m < MAX_PER_LOBBY; m++) {
                String user = Tokens.unique("g" + l + "x" + m);
                usersOf.computeIfAbsent(code, c -> new ArrayList<>()).add(user);
                users.add(user);
                members.add(joinWelcomed(PROXIED, code, user));
            }
        }
        assertEquals(lobbies * MAX_PER_LOBBY, cluster.readiness(PROXIED).connections());
        // The control: without a fault, a closed connection's seat is released at once.
        String control = Tokens.unique("control");
        TestSocket controlSocket = joinWelcomed(PROXIED, Tokens.unique("controllobby"), control);
        controlSocket.close();
        controlSocket.awaitClose();
        Awaitility.await("without a fault, a closed user is released").atMost(WITHIN_NODE_TIMEOUT)
                .pollInterval(Duration.ofMillis(100)).until(() -> !Frames.connected(admin(), node(OTHER), control));

        long killed;
        long closedAt;
        try (Repeatedly kills = new Repeatedly("client-kill-normal", Duration.ofMillis(20),
                () -> cluster.redis().killClients("normal"))) {
            for (TestSocket member : members) {
                member.close();
                pause(Duration.ofMillis(20));
            }
            for (TestSocket member : members) {
                member.awaitClose();
            }
            closedAt = System.nanoTime();
            kills.close();
            killed = kills.total.get();
            System.out.println("a. " + members.size() + " closes under CLIENT KILL TYPE normal (" + kills.runs.get()
                    + " runs, " + killed + " connections killed)");
        }
        assertTrue(killed > 0, "the kills hit some connection");

        // Within node-timeout (+ margin): nobody is connected any more, and the cluster counts nobody.
        long until = deadline(WITHIN_NODE_TIMEOUT);
        List<String> ghosts;
        int total;
        do {
            ghosts = new ArrayList<>();
            for (String user : users) {
                if (Frames.connected(admin(), node(OTHER), user)) {
                    ghosts.add(user);
                }
            }
            total = admin().get(node(OTHER), "/api/v1/stats").ok().getInteger("total_connections");
            if (ghosts.isEmpty() && total == 0) {
                break;
            }
            pause(Duration.ofMillis(500));
        } while (System.nanoTime() < until);
        long waited = millisSince(closedAt);
        System.out.println("a. " + waited + " ms after the last close: " + ghosts.size() + " of " + users.size()
                + " closed users still connected: true; stats total_connections " + total + " (0 sockets open)");

        List<String> broken = new ArrayList<>();
        List<String> stillConnected = ghosts;
        int totalNow = total;
        if (!stillConnected.isEmpty()) {
            broken.add(stillConnected.size() + " closed users still answer connected: true " + waited
                    + " ms after the last close (node-timeout " + NODE_TIMEOUT.toMillis() + " ms): " + stillConnected);
        }
        if (totalNow != 0) {
            broken.add("stats total_connections " + totalNow + " with no socket open");
        }
        // A newcomer sees no closed user, and every lobby admits as many newcomers as it lost members.
        if (!(awaitStatus(PROXIED, 200, RECOVERED_WITHIN) && awaitStatus(OTHER, 200, RECOVERED_WITHIN))) {
            broken.add("not both nodes ready " + RECOVERED_WITHIN.toSeconds() + " s after the kills (readiness "
                    + cluster.readyStatus(PROXIED) + ", " + cluster.readyStatus(OTHER) + "); newcomers not tried");
            System.out.println("a. " + broken.get(broken.size() - 1));
            fail(String.join("\n", broken));
        }
        List<String> refused = new ArrayList<>();
        Set<String> ghostsListed = new LinkedHashSet<>();
        // 1013 refusals are retried, all newcomers sharing 10 s for it.
        long retriesUntil = deadline(Duration.ofSeconds(10));
        for (String code : codes) {
            for (int m = 0; m < MAX_PER_LOBBY; m++) {
                int index = m % 2 == 0 ? PROXIED : OTHER;
                Duration retries = Duration.ofNanos(Math.max(0, retriesUntil - System.nanoTime()));
                Admission newcomer = admit(index, code, Tokens.unique("new"), retries);
                JsonObject first = newcomer.welcome();
                if (first == null) {
                    refused.add(cluster.hostname(index) + " " + newcomer.refusal().code() + " " + newcomer.refusal().reason());
                    continue;
                }
                assertEquals("welcome", first.getString("type"), first::encode);
                for (Object member : first.getJsonArray("members")) {
                    if (usersOf.get(code).contains(member)) {
                        ghostsListed.add((String) member);
                    }
                }
            }
        }
        Map<String, Long> refusals = new TreeMap<>();
        refused.forEach(r -> refusals.merge(r, 1L, Long::sum));
        System.out.println("a. newcomers: " + refused.size() + " of " + users.size() + " refused " + refusals + "; "
                + ghostsListed.size() + " closed users listed in their welcome.members");
        if (!ghostsListed.isEmpty()) {
            broken.add("newcomers' welcome.members list " + ghostsListed.size() + " closed users: " + ghostsListed);
        }
        if (!refused.isEmpty()) {
            broken.add("newcomers refused by lobbies whose members all closed: " + refusals);
        }
        assertTrue(broken.isEmpty(), () -> String.join("\n", broken));
    }

    // ---- c. no phantom sessions when the subscription dies during closes ----

    /**
     * SPEC §9: "a node's own counts ({@code lobbyhub_connections_active}, readiness data) follow its open
     * sockets, whatever the backplane says".
     */
    @Test
    @Order(2)
    void aNodesOwnCountsFollowItsOpenSocketsWhenItsSubscriptionDiesDuringCloses() throws Exception {
        int total = 40;
        int keep = 4;
        List<String> lobbies = new ArrayList<>();
        for (int l = 0; l < total / MAX_PER_LOBBY; l++) {
            lobbies.add(Tokens.unique("phantom" + l));
        }
        List<TestSocket> clients = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            clients.add(joinWelcomed(PROXIED, lobbies.get(i / MAX_PER_LOBBY), Tokens.unique("p" + i)));
        }
        assertEquals(total, cluster.readiness(PROXIED).connections(), "before the fault");
        // The control: without a fault, a close is counted at once.
        TestSocket controlSocket = joinWelcomed(PROXIED, Tokens.unique("controllobby"), Tokens.unique("control"));
        controlSocket.close();
        controlSocket.awaitClose();
        Awaitility.await("without a fault, a close is counted").atMost(WITHIN_NODE_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> cluster.readiness(PROXIED).connections() == total);
        List<TestSocket> closing = clients.subList(keep, total);

        long closedAt;
        long killed;
        try (Repeatedly kills = new Repeatedly("client-kill-pubsub", Duration.ofMillis(20),
                () -> cluster.redis().killClients("pubsub"))) {
            for (TestSocket client : closing) {
                client.close();
                pause(Duration.ofMillis(25));
            }
            for (TestSocket client : closing) {
                client.awaitClose();
            }
            closedAt = System.nanoTime();
            kills.close();
            killed = kills.total.get();
            System.out.println("c. " + closing.size() + " closes under CLIENT KILL TYPE pubsub (" + kills.runs.get()
                    + " runs, " + killed + " subscriptions killed)");
        }
        assertTrue(killed > 0, "the kills hit a subscription");

        List<String> samples = new ArrayList<>();
        long until = deadline(WITHIN_NODE_TIMEOUT);
        int counted;
        double gauge;
        do {
            ClusterNodes.Readiness ready = cluster.readiness(PROXIED);
            counted = ready.connections();
            gauge = cluster.metric(PROXIED, "lobbyhub_connections_active");
            samples.add(millisSince(closedAt) + " ms: readiness " + ready.status() + " connections " + counted
                    + ", gauge " + gauge);
            if (counted == keep && gauge == keep) {
                break;
            }
            pause(Duration.ofMillis(500));
        } while (System.nanoTime() < until);
        System.out.println("c. " + keep + " sockets open on " + cluster.hostname(PROXIED) + "; it counts:\n  "
                + String.join("\n  ", samples));
        assertEquals(keep, counted, () -> "readiness data connections with " + keep + " sockets open: " + samples);
        assertEquals(keep, gauge, 0.0, () -> "lobbyhub_connections_active with " + keep + " sockets open: " + samples);
    }

    // ---- d. admin during a Redis fault ----

    /**
     * SPEC §9: "While Redis is unreachable, an admin call that needs it answers 503 {@code backplane_unavailable}
     * (error shape) within {@code cluster.redis-timeout} and delivers nothing"; §7: errors are
     * {@code {"error": code, "message": text}}; §8: nothing a client does causes an ERROR line or a stack trace.
     */
    @Test
    @Order(3)
    void anAdminMessageDuringAFrozenRedisAnswers503AndIsNeverDelivered() throws Exception {
        String lobby = Tokens.unique("adminfault");
        String u0 = Tokens.unique("u0");
        String u1 = Tokens.unique("u1");
        TestSocket s0 = joinWelcomed(PROXIED, lobby, u0);
        TestSocket s1 = joinWelcomed(OTHER, lobby, u1);
        awaitJoins(s0, u1);
        int outputBefore = cluster.node(PROXIED).output().length();

        String early = Tokens.unique("admin-frozen-early");
        String known = Tokens.unique("admin-frozen-known");
        CompletableFuture<Timed> earlyAnswer;
        CompletableFuture<Timed> knownAnswer = null;
        long frozenAt;
        boolean downSeen;
        cluster.redis().freeze();
        try {
            frozenAt = System.nanoTime();
            // Sent at once: the node does not know yet that Redis stopped answering.
            earlyAnswer = postLater(node(PROXIED), lobby, early);
            downSeen = awaitStatus(PROXIED, 503, DOWN_WITHIN);
            if (downSeen) {
                // Sent once the node says it cannot reach Redis.
                knownAnswer = postLater(node(PROXIED), lobby, known);
                await(knownAnswer, ADMIN_WITHIN.plusSeconds(5));
            }
            await(earlyAnswer, ADMIN_WITHIN.plusSeconds(5));
        } finally {
            cluster.redis().thaw();
        }
        long frozeFor = millisSince(frozenAt);
        Timed first = await(earlyAnswer, Duration.ZERO);
        Timed second = knownAnswer == null ? null : await(knownAnswer, Duration.ZERO);
        System.out.println("d. Redis frozen " + frozeFor + " ms; " + cluster.hostname(PROXIED) + " unready: " + downSeen
                + "; admin message sent at once: " + first + "; sent once unready: " + second);
        awaitStatus(PROXIED, 200, RECOVERED_WITHIN);
        awaitStatus(OTHER, 200, RECOVERED_WITHIN);

        // The fence: a later admin message reaches both members, and neither fault message came before it.
        String fence = Tokens.unique("admin-fence");
        Timed fenced = post(node(PROXIED), lobby, fence);
        Set<String> faulty = Set.of(early, known);
        List<String> late = new ArrayList<>();
        for (TestSocket member : List.of(s0, s1)) {
            awaitFrame(member, deadline(TestSocket.WAIT), f -> isChat(f) && fence.equals(f.getValue("data")), f -> {
                if (isChat(f) && faulty.contains(f.getValue("data"))) {
                    late.add((member == s0 ? u0 : u1) + " got " + f.encode());
                }
                return isChat(f) || isPresence(f);
            }, "the admin fence " + fence);
        }
        String output = cluster.node(PROXIED).output().substring(outputBefore);
        List<String> errors = output.lines().filter(line -> line.contains(" ERROR ")).toList();
        List<String> stack = STACK_LINE.matcher(output).results().map(m -> m.group()).limit(5).toList();
        Timed eventually = await(earlyAnswer, Duration.ofSeconds(20));
        System.out.println("d. after the thaw: the admin message sent at once finally answered " + eventually
                + "; the fence " + fenced + "; fault messages delivered: " + late
                + "; ERROR lines: " + errors.size() + "; stack trace lines: " + stack.size());

        assertEquals(200, fenced.status, () -> "the fence after recovery: " + fenced);
        assertTrue(downSeen, cluster.hostname(PROXIED) + " unready within " + DOWN_WITHIN + " of a frozen Redis");
        for (Timed answer : second == null ? List.of(first) : List.of(first, second)) {
            assertEquals(503, answer.status, () -> "admin message while Redis is frozen: " + answer);
            JsonObject body = new JsonObject(answer.body);
            assertEquals("backplane_unavailable", body.getString("error"), answer::toString);
            assertTrue(body.getValue("message") instanceof String, answer::toString);
            assertTrue(answer.millis <= ADMIN_WITHIN.toMillis(), () -> "answered after " + answer.millis + " ms, allowed "
                    + ADMIN_WITHIN.toMillis());
        }
        assertTrue(late.isEmpty(), () -> "messages the admin API was refused delivered after Redis came back: " + late);
        assertTrue(errors.isEmpty(), () -> "ERROR lines on " + cluster.hostname(PROXIED) + ":\n" + String.join("\n", errors));
        assertTrue(stack.isEmpty(), () -> "stack traces on " + cluster.hostname(PROXIED) + ":\n" + String.join("\n", stack));
    }

    /** One HTTP answer and how long it took; status -1 when none came within the client's bound. */
    private record Timed(int status, String body, long millis) {
        @Override
        public String toString() {
            return status + " " + body + " after " + millis + " ms";
        }
    }

    private static CompletableFuture<Timed> postLater(URI base, String lobby, String data) {
        return CompletableFuture.supplyAsync(() -> post(base, lobby, data));
    }

    /** {@code POST /api/v1/lobbies/{lobby}/messages}, bounded at 15 s (status -1 then). */
    private static Timed post(URI base, String lobby, String data) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("api/v1/lobbies/" + AdminHttp.segment(lobby) + "/messages"))
                .timeout(Duration.ofSeconds(15)).header("Authorization", "Bearer " + ClusterNodes.API_KEY)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("data", data).encode(), StandardCharsets.UTF_8))
                .build();
        long started = System.nanoTime();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return new Timed(response.statusCode(), response.body(), millisSince(started));
        } catch (IOException noAnswer) {
            return new Timed(-1, String.valueOf(noAnswer), millisSince(started));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Timed await(CompletableFuture<Timed> answer, Duration within) {
        try {
            return within.isZero() && !answer.isDone() ? new Timed(-1, "no answer yet", -1)
                    : answer.get(Math.max(1, within.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillWaiting) {
            return new Timed(-1, "no answer yet", -1);
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until node {@code index}'s readiness answers {@code status}; false when it did not in time. */
    private static boolean awaitStatus(int index, int status, Duration within) {
        try {
            Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> cluster.readyStatus(index) == status);
            return true;
        } catch (ConditionTimeoutException late) {
            return false;
        }
    }

    // ---- e. nothing delivered late ----

    /**
     * SPEC §9: while Redis does not answer within {@code cluster.redis-timeout} (a frozen Redis counts),
     * "cross-node messages are lost"; §3: delivery is at most once, each sender's messages in order.
     */
    @Test
    @Order(4)
    void aLobbyMessageSentAsRedisFreezesIsNotDeliveredAfterTheThaw() throws Exception {
        String lobby = Tokens.unique("late");
        String u0 = Tokens.unique("u0");
        String u1 = Tokens.unique("u1");
        TestSocket s0 = joinWelcomed(PROXIED, lobby, u0);
        TestSocket s1 = joinWelcomed(OTHER, lobby, u1);
        awaitJoins(s0, u1);
        // The path works before the fault.
        String warm = Tokens.unique("warm");
        s0.send(Frames.lobbyMessage(warm));
        awaitFrame(s1, deadline(TestSocket.WAIT), f -> isChat(f) && warm.equals(f.getValue("data")), f -> false, warm);

        String before = Tokens.unique("just-before-freeze");
        String during = Tokens.unique("during-freeze");
        String known = Tokens.unique("once-unready");
        s0.send(Frames.lobbyMessage(before));
        cluster.redis().freeze();
        long frozenAt = System.nanoTime();
        List<JsonObject> duringFreeze;
        boolean downSeen;
        try {
            s0.send(Frames.lobbyMessage(during));
            downSeen = awaitStatus(PROXIED, 503, DOWN_WITHIN);
            s0.send(Frames.lobbyMessage(known));
            // Frozen for 5 s in all, well over redis-timeout.
            pause(Duration.ofMillis(Math.max(0, 5000 - millisSince(frozenAt))));
            duringFreeze = Frames.drain(s1);
        } finally {
            cluster.redis().thaw();
        }
        long thawedAt = System.nanoTime();
        assertTrue(downSeen, cluster.hostname(PROXIED) + " unready while Redis is frozen");
        awaitStatus(PROXIED, 200, RECOVERED_WITHIN);
        awaitStatus(OTHER, 200, RECOVERED_WITHIN);

        // Fence: a later message of the same sender; before it only presence, or chat that arrived in time.
        String fence = Tokens.unique("after-thaw");
        s0.send(Frames.lobbyMessage(fence));
        List<String> late = new ArrayList<>();
        awaitFrame(s1, deadline(RECOVERED_WITHIN), f -> isChat(f) && fence.equals(f.getValue("data")), f -> {
            if (isChat(f)) {
                late.add(f.getValue("data") + " after the thaw (" + millisSince(thawedAt) + " ms)");
            }
            return isChat(f) || isPresence(f);
        }, "the fence " + fence);
        List<Object> inTime = duringFreeze.stream().filter(Frames::isChat).map(f -> f.getValue("data")).toList();
        System.out.println("e. before the thaw " + u1 + " got " + inTime + "; after it, before the fence: " + late
                + " (sent: before=" + before + ", during=" + during + ", once unready=" + known + ")");
        assertTrue(late.isEmpty(), () -> "messages sent while Redis was frozen delivered after it thawed: " + late);
        assertTrue(!inTime.contains(during) && !inTime.contains(known), () -> "delivered through a frozen Redis?" + inTime);
    }

    // ---- f. a freeze longer than node-timeout makes nobody node_lost ----

    /**
     * SPEC §9: "A Redis pause longer than {@code node-timeout} makes nobody {@code node_lost} who was not lost
     * ... deadlines move by the length of the pause"; §3: {@code member_left} {@code left} when the client
     * sent a close frame with 1000.
     */
    @Test
    @Order(5)
    void aFreezeLongerThanNodeTimeoutLosesNobodyAndAnnouncesACloseAsLeft() throws Exception {
        String lobby = Tokens.unique("longfreeze");
        Map<String, TestSocket> stayers = new LinkedHashMap<>();
        for (String name : List.of("a0", "b0", "a1", "b1")) {
            String id = Tokens.unique(name);
            TestSocket socket = joinWelcomed(name.endsWith("0") ? PROXIED : OTHER, lobby, id);
            for (TestSocket earlier : stayers.values()) {
                awaitJoins(earlier, id);
            }
            stayers.put(name, socket);
        }
        // Which node's queued commands Redis runs first after a thaw varies: a few rounds make a lost
        // member likely to show when the rule is broken.
        int rounds = 3;
        for (int round = 1; round <= rounds; round++) {
            freezeRound(round, lobby, stayers);
        }
    }

    /**
     * One freeze of 2 × node-timeout + 1 s, during which a member of node-a leaves normally; afterwards every
     * member who stayed hears of that leave (as {@code left}) and of nothing else but the fences.
     */
    private void freezeRound(int round, String lobby, Map<String, TestSocket> stayers) throws Exception {
        String q0 = Tokens.unique("q0");
        TestSocket sq0 = joinWelcomed(PROXIED, lobby, q0);
        for (TestSocket stayer : stayers.values()) {
            awaitJoins(stayer, q0);
        }
        Map<String, String> names = new LinkedHashMap<>();
        names.put(q0, "q0");

        Duration freeze = NODE_TIMEOUT.multipliedBy(2).plusSeconds(1);
        cluster.redis().freeze();
        long frozenAt = System.nanoTime();
        try {
            // q0 leaves normally (close frame 1000) in the middle of the freeze.
            pause(NODE_TIMEOUT);
            sq0.close();
            sq0.awaitClose();
            pause(Duration.ofMillis(Math.max(0, freeze.toMillis() - millisSince(frozenAt))));
        } finally {
            cluster.redis().thaw();
        }
        long frozeFor = millisSince(frozenAt);
        boolean ready0 = awaitStatus(PROXIED, 200, RECOVERED_WITHIN);
        boolean ready1 = awaitStatus(OTHER, 200, RECOVERED_WITHIN);

        // Each member who stayed sends one message; every other one must get them all.
        Map<String, String> fenceOf = new LinkedHashMap<>();
        stayers.forEach((name, socket) -> {
            String data = Tokens.unique("fence-" + name);
            fenceOf.put(data, name);
            socket.send(Frames.lobbyMessage(data));
        });
        Map<String, List<String>> presence = new LinkedHashMap<>();
        List<String> closed = new ArrayList<>();
        stayers.forEach((name, socket) -> {
            List<String> seen = new ArrayList<>();
            presence.put(name, seen);
            Set<String> missing = new HashSet<>(fenceOf.values());
            missing.remove(name);
            long until = deadline(TestSocket.WAIT.plusSeconds(10));
            while (!missing.isEmpty()) {
                if (socket.isClosed() && socket.pending() == 0) {
                    closed.add(name + " " + socket.awaitClose());
                    break;
                }
                JsonObject frame = Frames.nextBefore(socket, until, name + ": fences from " + missing);
                if (isPresence(frame)) {
                    String who = frame.getString("user_id");
                    seen.add(frame.getString("type") + " " + names.getOrDefault(who, nameOf(who, stayers))
                            + (frame.containsKey("reason") ? " " + frame.getString("reason") : ""));
                } else if (isChat(frame) && fenceOf.containsKey(String.valueOf(frame.getValue("data")))) {
                    missing.remove(fenceOf.get(String.valueOf(frame.getValue("data"))));
                }
            }
        });
        System.out.println("f. round " + round + ": Redis frozen " + frozeFor + " ms (node-timeout " + NODE_TIMEOUT.toMillis()
                + " ms); presence events seen by each member who stayed, up to the fences: " + presence
                + (closed.isEmpty() ? "" : "; closed: " + closed));
        assertTrue(ready0 && ready1, "round " + round + ": both nodes ready again after the thaw");
        assertTrue(closed.isEmpty(), () -> "round " + round + ": members who stayed were closed: " + closed);
        for (Map.Entry<String, List<String>> seen : presence.entrySet()) {
            List<String> wrong = seen.getValue().stream().filter(event -> !event.equals("member_left q0 left")).toList();
            assertTrue(wrong.isEmpty(), () -> "round " + round + ": " + seen.getKey()
                    + " was told of members who stayed, or a wrong reason: " + seen.getValue());
        }
        // q0's leave reaches everyone once, as left (it may come after the fences).
        for (Map.Entry<String, TestSocket> stayer : stayers.entrySet()) {
            if (presence.get(stayer.getKey()).contains("member_left q0 left")) {
                continue;
            }
            JsonObject leave = awaitFrame(stayer.getValue(), deadline(WITHIN_NODE_TIMEOUT), f -> isType(f, "member_left"),
                    Frames::isChat, "round " + round + ": " + stayer.getKey() + ": member_left of q0");
            assertEquals(Frames.left(q0, "left"), Frames.bare(leave), "round " + round + ": " + stayer.getKey());
        }
    }

    /** The case's short name of a member's user id (the id starts with it), for readable figures. */
    private static String nameOf(String user, Map<String, TestSocket> stayers) {
        for (String name : stayers.keySet()) {
            if (user.startsWith(name + "-")) {
                return name;
            }
        }
        return user;
    }

    // ---- g. after Redis restarted empty ----

    /**
     * SPEC §9: after a Redis restart that lost every key, "presence and seat counts are right again";
     * §1/§3: a member learns of others through {@code welcome.members} and {@code member_joined}, and a
     * {@code member_left} is about a member it was told of.
     */
    @Test
    @Order(6)
    void aMemberWhoJoinedAfterAnEmptyRedisIsToldOfNoLeaveOfAStranger() throws Exception {
        String lobby = Tokens.unique("emptied");
        String x0 = Tokens.unique("x0");
        String x1 = Tokens.unique("x1");
        String y0 = Tokens.unique("y0");
        String y1 = Tokens.unique("y1");
        TestSocket sx0 = joinWelcomed(PROXIED, lobby, x0);
        TestSocket sy0 = joinWelcomed(PROXIED, lobby, y0);
        joinWelcomed(OTHER, lobby, x1);
        TestSocket sy1 = joinWelcomed(OTHER, lobby, y1);
        awaitJoins(sx0, y0, x1, y1);

        cluster.killRedis();
        assertTrue(awaitStatus(PROXIED, 503, DOWN_WITHIN) && awaitStatus(OTHER, 503, DOWN_WITHIN), "both nodes unready");
        // y0 and y1 leave during the outage.
        sy0.close();
        sy1.close();
        sy0.awaitClose();
        sy1.awaitClose();
        cluster.startRedis();
        long startedAt = System.nanoTime();
        assertTrue(awaitStatus(PROXIED, 200, RECOVERED_WITHIN) && awaitStatus(OTHER, 200, RECOVERED_WITHIN),
                "both nodes ready again");
        System.out.println("g. both nodes ready " + millisSince(startedAt) + " ms after Redis came back empty");

        // Newcomers on both nodes; each tracks whom it was told of.
        Map<String, TestSocket> newcomers = new LinkedHashMap<>();
        Map<String, Set<String>> told = new LinkedHashMap<>();
        for (int index : List.of(PROXIED, OTHER)) {
            String user = Tokens.unique("n" + index);
            Admission admission = admit(index, lobby, user);
            assertTrue(admission.welcome() != null, () -> user + " refused: " + admission.refusal());
            TestSocket socket = admission.socket();
            JsonObject welcome = admission.welcome();
            Set<String> known = new HashSet<>();
            welcome.getJsonArray("members").forEach(member -> known.add((String) member));
            newcomers.put(user, socket);
            told.put(user, known);
        }
        // Watch past 2 × node-timeout (the nodes' second re-read and any reaping), then fence.
        long watchUntil = deadline(NODE_TIMEOUT.multipliedBy(2).plusSeconds(2));
        Map<String, List<String>> strangers = new LinkedHashMap<>();
        Map<String, List<String>> events = new LinkedHashMap<>();
        while (System.nanoTime() < watchUntil) {
            newcomers.forEach((user, socket) -> Frames.drain(socket)
                    .forEach(frame -> judge(user, frame, told, strangers, events)));
            pause(Duration.ofMillis(100));
        }
        String fence = Tokens.unique("fence");
        sx0.send(Frames.lobbyMessage(fence));
        newcomers.forEach((user, socket) -> awaitFrame(socket, deadline(TestSocket.WAIT),
                f -> isChat(f) && fence.equals(f.getValue("data")), f -> {
                    judge(user, f, told, strangers, events);
                    return true;
                }, user + ": the fence"));
        System.out.println("g. newcomers' welcome.members " + told.values() + "; events " + events
                + "; member_left of users never announced: " + strangers + " (y0=" + y0 + ", y1=" + y1 + ")");
        assertTrue(strangers.values().stream().allMatch(List::isEmpty),
                () -> "member_left for users a newcomer was never told of: " + strangers);
    }

    private static void judge(String user, JsonObject frame, Map<String, Set<String>> told,
            Map<String, List<String>> strangers, Map<String, List<String>> events) {
        if (!isPresence(frame)) {
            return;
        }
        String who = frame.getString("user_id");
        events.computeIfAbsent(user, u -> new ArrayList<>()).add(frame.encode());
        if (isType(frame, "member_joined")) {
            told.get(user).add(who);
        } else if (!told.get(user).remove(who)) {
            strangers.computeIfAbsent(user, u -> new ArrayList<>()).add(frame.encode());
        }
    }

    // ---- b. a black-holed subscription is replaced ----

    /**
     * Cut off from Redis until node-b has reaped it (its member left {@code node_lost}), node-a registers again once
     * healed, takes its member's seat back and is ready, and stays ready: the {@code node_lost} entry about itself
     * that its reconciliation reads back from the lobby log was written before it took the seat back, so it is no
     * reason for another reconciliation (which took the node out of readiness a second time, a flap).
     */
    @Test
    void aNodeReapedWhileCutOffStaysReadyOnceItHasTakenItsSeatsBack() throws Exception {
        RedisProxy proxy = cluster.proxy(PROXIED);
        String lobby = Tokens.unique("reaped");
        String p0 = Tokens.unique("p0");
        String p1 = Tokens.unique("p1");
        TestSocket sp0 = joinWelcomed(PROXIED, lobby, p0);
        TestSocket sp1 = joinWelcomed(OTHER, lobby, p1);
        awaitJoins(sp0, p1);

        proxy.blackHole();
        awaitFrame(sp1, deadline(WITHIN_NODE_TIMEOUT.plus(DOWN_WITHIN)), Frames.matches(Frames.left(p0, "node_lost")),
                Frames::isChat, "member_left " + p0 + " node_lost (node-a reaped)");
        proxy.heal();
        long healedAt = System.nanoTime();

        boolean ready = awaitStatus(PROXIED, 200, READY_AGAIN_WITHIN);
        long readyAfter = millisSince(healedAt);
        List<String> flaps = ready ? unreadyLooks(healedAt) : List.of();
        System.out.println("reaped: ready " + readyAfter + " ms after healing; unready again at " + flaps);
        assertTrue(ready, () -> cluster.hostname(PROXIED) + " not ready within " + READY_AGAIN_WITHIN + " of healing");
        assertTrue(flaps.isEmpty(), () -> "readiness flapped after the reconciliation: " + flaps);
        // The seat was taken back: p1 hears p0 join again, and p0's connection stayed open.
        awaitFrame(sp1, deadline(TestSocket.WAIT), Frames.matches(Frames.joined(p0)),
                f -> isChat(f) || Frames.isStateChange(f), "member_joined " + p0);
        assertFalse(sp0.isClosed(), "p0's connection stayed open");
    }

    /**
     * SPEC §9: "A node that loses its subscription, or whose Redis connections stop answering, replaces
     * them and is ready again within 5 s of Redis being reachable."
     */
    @Test
    @Order(7)
    void aNodeWhoseRedisConnectionsWereBlackHoledIsReadyAgainWithin5sOfHealing() throws Exception {
        RedisProxy proxy = cluster.proxy(PROXIED);
        String lobby = Tokens.unique("blackhole");
        String p0 = Tokens.unique("p0");
        String p1 = Tokens.unique("p1");
        TestSocket sp0 = joinWelcomed(PROXIED, lobby, p0);
        TestSocket sp1 = joinWelcomed(OTHER, lobby, p1);
        awaitJoins(sp0, p1);

        proxy.blackHole();
        long holedAt = System.nanoTime();
        boolean down = awaitStatus(PROXIED, 503, DOWN_WITHIN);
        long downAfter = millisSince(holedAt);
        int dead = proxy.deadConnections();
        proxy.heal();
        long healedAt = System.nanoTime();
        assertTrue(down, cluster.hostname(PROXIED) + " unready within " + DOWN_WITHIN + " of its Redis connections going silent");

        // Measured up to 30 s to report the figure; the SPEC's 5 s (+ margin) is asserted below.
        boolean ready = awaitStatus(PROXIED, 200, Duration.ofSeconds(30));
        long readyAfter = millisSince(healedAt);
        List<String> flaps = ready ? unreadyLooks(healedAt) : List.of();
        System.out.println("b. black hole: unready after " + downAfter + " ms (" + dead + " connections black-holed);"
                + " healed: ready " + (ready ? "after " + readyAfter + " ms" : "not within 30 s") + "; unready again at "
                + flaps + "; connections through the proxy now " + proxy.openConnections() + " (" + proxy.deadConnections()
                + " still black-holed)");
        assertTrue(ready && readyAfter <= READY_AGAIN_WITHIN.toMillis(), () -> cluster.hostname(PROXIED) + " ready "
                + (ready ? readyAfter + " ms" : "not within 30 s") + " after healing; allowed " + READY_AGAIN_WITHIN.toMillis());
        assertTrue(flaps.isEmpty(), () -> "readiness flapped after recovering: " + flaps);

        // Admits, and lobby messages cross between the nodes both ways, old members and new. Cut off
        // alone for longer than node-timeout (3 s here), node-a may have been reaped by node-b meanwhile,
        // as SPEC §9 wants for a node the others cannot hear: then p1 saw p0 leave node_lost and come back.
        String n0 = Tokens.unique("n0");
        TestSocket sn0 = TestSocket.joinWelcomed(node(PROXIED), lobby, Tokens.valid(n0));
        sockets.add(sn0);
        awaitFrame(sp1, deadline(TestSocket.WAIT), Frames.matches(Frames.joined(n0)),
                f -> isChat(f) || Frames.isStateChange(f) || isPresence(f) && p0.equals(f.getString("user_id")),
                "member_joined " + n0);
        Predicate<JsonObject> skip = f -> isChat(f) || isPresence(f) || Frames.isStateChange(f);
        for (TestSocket[] pair : new TestSocket[][] {{sp0, sp1}, {sp1, sp0}, {sn0, sp1}, {sp1, sn0}}) {
            String data = Tokens.unique("crossing");
            pair[0].send(Frames.lobbyMessage(data));
            awaitFrame(pair[1], deadline(TestSocket.WAIT), f -> isChat(f) && data.equals(f.getValue("data")), skip, data);
        }
        assertFalse(sp0.isClosed() || sp1.isClosed(), "open connections stayed open");
    }
}
