package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

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
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §10 on three packaged nodes and one Redis: a member whose connection drops is away on every
 * node and takes its seat back on any node (also in a full lobby, recovering what it missed); a hold
 * that runs out ends once in the cluster; a killed node's members are away ({@code node_lost}) and
 * come back elsewhere; a drained node's members move to another node without leaving the lobby; the
 * admin API of any node shows, messages and frees an away member.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterHeldSeatIT {

    private static final long GRACE_MS = 8000;
    private static final String HOLDS = "lobbyhub_seat_holds_total";

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("heldit").faultTimeouts()
                .env("LOBBYHUB_USERS_RECONNECT_GRACE", GRACE_MS + "ms")
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", "3")
                .env("LOBBYHUB_SHUTDOWN_DRAIN_PERIOD", "1s")
                .env("QUARKUS_SHUTDOWN_DELAY", "2s")
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
    void closeSocketsAndBringBackDeadNodes() throws Exception {
        cluster.redis().thaw();
        sockets.forEach(TestSocket::close);
        // A test that failed between stopping a node and starting it again leaves the next ones three nodes.
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.node(i).isAlive()) {
                cluster.restart(i);
            }
        }
    }

    private TestSocket join(int node, String lobby, String user) {
        TestSocket socket = TestSocket.join(cluster.base(node), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    private TestSocket resume(int node, String lobby, String user, long since, String epoch) {
        TestSocket socket = TestSocket.connect(cluster.base(node), "/ws/" + lobby + "?token=" + Tokens.valid(user)
                + "&since=" + since + "&epoch=" + URLEncoder.encode(epoch, StandardCharsets.UTF_8));
        sockets.add(socket);
        return socket;
    }

    /** A watcher on node 0 and a member on node {@code node}, who has read the watcher's first line (at {@code seen}). */
    private record Watched(TestSocket watcher, TestSocket member, String epoch, long seen) {
    }

    private Watched watched(String lobby, String watcher, int node, String user) {
        TestSocket w = join(0, lobby, watcher);
        w.expect("welcome");
        TestSocket member = join(node, lobby, user);
        String epoch = member.expect("welcome").getString("epoch");
        next(w, "member_joined");
        w.send(chat("before"));
        return new Watched(w, member, epoch, member.expect("lobby_message").getLong("offset"));
    }

    private static JsonObject chat(Object data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }

    /** The next frame of this type; health pings on the way are skipped (a hold takes several seconds). */
    private static JsonObject next(TestSocket socket, String type) {
        return socket.expectSkipping(type, frame -> "health_ping".equals(frame.getString("type")));
    }

    /** The lobby's frame after a wait: a hold ends only after the grace, longer than a socket waits for a frame. */
    private static JsonObject nextAfterGrace(TestSocket socket, String type) {
        return nextAfterGrace(socket, type, frame -> "health_ping".equals(frame.getString("type")));
    }

    /** The same, skipping the frames {@code skip} accepts. */
    private static JsonObject nextAfterGrace(TestSocket socket, String type, Predicate<JsonObject> skip) {
        long deadline = System.nanoTime() + (GRACE_MS + 15_000) * 1_000_000;
        while (true) {
            try {
                return socket.expectSkipping(type, skip);
            } catch (AssertionError noFrameYet) {
                if (System.nanoTime() > deadline || !noFrameYet.getMessage().startsWith("no frame within")) {
                    throw noFrameYet;
                }
            }
        }
    }

    private static JsonObject withoutOffset(JsonObject frame) {
        JsonObject copy = frame.copy();
        copy.remove("offset");
        return copy;
    }

    private static double holds(String outcome) {
        double sum = 0;
        for (int i = 0; i < cluster.size(); i++) {
            sum += cluster.metric(i, HOLDS, "outcome=\"" + outcome + "\"");
        }
        return sum;
    }

    @Test
    @Order(1)
    void aDroppedMemberComesBackOnAnotherNodeToItsSeatInAFullLobby() {
        String lobby = Tokens.unique("hold");
        String watcher = Tokens.unique("watcher");
        String phone = Tokens.unique("phone");
        String third = Tokens.unique("third");
        double returnedBefore = holds("returned");
        Watched setup = watched(lobby, watcher, 1, phone);
        TestSocket w = setup.watcher();
        setup.member().abort();
        assertEquals(new JsonObject().put("type", "member_away").put("user_id", phone).put("reason", "dropped")
                .put("hold_ms", GRACE_MS), withoutOffset(next(w, "member_away")));
        TestSocket t = join(2, lobby, third);
        JsonObject thirdWelcome = t.expect("welcome");
        assertEquals(new JsonArray(List.of(phone)), thirdWelcome.getJsonArray("away"), thirdWelcome::encode);
        assertEquals(GRACE_MS, thirdWelcome.getLong("reconnect_grace_ms"));
        next(w, "member_joined");
        TestSocket.join(cluster.base(0), lobby, Tokens.valid(Tokens.unique("late"))).expectRejected(4002, "lobby_full");
        w.send(chat("while away"));
        next(t, "lobby_message");

        TestSocket back = resume(2, lobby, phone, setup.seen(), setup.epoch());
        JsonObject welcome = back.expect("welcome");
        assertEquals(true, welcome.getBoolean("recovered"), welcome::encode);
        assertEquals(Set.of(watcher, phone, third), Set.copyOf(welcome.getJsonArray("members").getList()));
        assertEquals(new JsonArray(), welcome.getJsonArray("away"));
        // What it missed: the third member's join and the line sent while it was away.
        assertEquals("member_joined", back.next().getString("type"));
        assertEquals("while away", back.expect("lobby_message").getValue("data"));
        // Every other member hears it is back, never that it joined or left.
        assertEquals(new JsonObject().put("type", "member_back").put("user_id", phone),
                withoutOffset(next(w, "member_back")));
        assertEquals(new JsonObject().put("type", "member_back").put("user_id", phone),
                withoutOffset(next(t, "member_back")));
        back.send(chat("fence"));
        assertEquals("fence", next(w, "lobby_message").getValue("data"));
        assertEquals(returnedBefore + 1, holds("returned"), "one return, counted by the node that admitted it");
    }

    @Test
    @Order(2)
    void aHoldThatRunsOutEndsOnceInTheCluster() {
        String lobby = Tokens.unique("expire");
        String gone = Tokens.unique("gone");
        double expiredBefore = holds("expired");
        TestSocket w0 = join(0, lobby, Tokens.unique("w0"));
        w0.expect("welcome");
        TestSocket w1 = join(1, lobby, Tokens.unique("w1"));
        w1.expect("welcome");
        next(w0, "member_joined");
        TestSocket leaving = join(2, lobby, gone);
        leaving.expect("welcome");
        next(w0, "member_joined");
        next(w1, "member_joined");

        leaving.abort();
        next(w0, "member_away");
        next(w1, "member_away");
        JsonObject left = new JsonObject().put("type", "member_left").put("user_id", gone).put("reason", "dropped");
        assertEquals(left, withoutOffset(nextAfterGrace(w0, "member_left")));
        assertEquals(left, withoutOffset(nextAfterGrace(w1, "member_left")));
        // Nothing else came before a later frame of the lobby (the fence): the hold ended once.
        w1.send(chat("fence"));
        assertEquals("fence", next(w0, "lobby_message").getValue("data"));
        assertEquals(expiredBefore + 1, holds("expired"), "ended by exactly one node's reaper");
    }

    @Test
    @Order(3)
    void theAdminApiOfAnyNodeShowsMessagesAndFreesAnAwayMember() {
        String lobby = Tokens.unique("admin");
        String watcher = Tokens.unique("watcher");
        String phone = Tokens.unique("phone");
        AdminHttp admin = cluster.admin();
        Watched setup = watched(lobby, watcher, 1, phone);
        TestSocket w = setup.watcher();
        setup.member().abort();
        next(w, "member_away");

        JsonObject detail = admin.get(cluster.base(2), "/api/v1/lobbies/" + lobby).ok();
        JsonObject member = detail.getJsonArray("members").stream().map(JsonObject.class::cast)
                .filter(m -> phone.equals(m.getString("user_id"))).findFirst().orElseThrow();
        assertEquals("away", member.getString("state"), detail::encode);
        assertNull(member.getValue("node_id"));
        assertNull(member.getValue("rtt_ms"));
        assertTrue(member.getLong("away_until") > System.currentTimeMillis(), member::encode);
        JsonObject status = admin.get(cluster.base(2), "/api/v1/users/" + phone).ok();
        assertEquals(false, status.getBoolean("connected"));
        assertEquals(true, status.getBoolean("away"), status::encode);
        assertEquals(lobby, status.getString("lobby"));

        JsonObject sent = admin.post(cluster.base(2), "/api/v1/users/" + phone + "/messages",
                new JsonObject().put("data", "while away")).ok();
        assertEquals(new JsonObject().put("delivered", false).put("away", true), sent);
        TestSocket back = resume(0, lobby, phone, setup.seen(), setup.epoch());
        assertEquals(true, back.expect("welcome").getBoolean("recovered"));
        assertEquals("while away", back.expect("direct_message").getValue("data"));
        next(w, "member_back");

        back.abort();
        next(w, "member_away");
        double freedBefore = holds("freed");
        assertEquals(204, admin.delete(cluster.base(2), "/api/v1/users/" + phone + "/connection").status());
        assertEquals(new JsonObject().put("type", "member_left").put("user_id", phone).put("reason", "kicked"),
                withoutOffset(next(w, "member_left")));
        assertEquals(freedBefore + 1, holds("freed"));
        JsonObject after = admin.get(cluster.base(1), "/api/v1/users/" + phone).ok();
        assertEquals(new JsonObject().put("user_id", phone).put("connected", false), after,
                "the user is neither connected nor away any more");
    }

    @Test
    @Order(4)
    void aDrainedNodesMembersMoveToAnotherNodeWithoutLeavingTheLobby() throws Exception {
        String lobby = Tokens.unique("drain");
        String watcher = Tokens.unique("watcher");
        String mover = Tokens.unique("mover");
        Watched setup = watched(lobby, watcher, 2, mover);
        TestSocket w = setup.watcher();

        cluster.terminate(2);
        try {
            TestSocket.Close close = setup.member().awaitClose();
            assertEquals(1012, close.code(), close::toString);
            assertEquals(new JsonObject().put("type", "member_away").put("user_id", mover).put("reason", "shutdown")
                    .put("hold_ms", GRACE_MS), withoutOffset(next(w, "member_away")));
            TestSocket moved = resume(1, lobby, mover, setup.seen(), setup.epoch());
            assertEquals(true, moved.expect("welcome").getBoolean("recovered"));
            assertEquals("member_back", next(w, "member_back").getString("type"));
            moved.send(chat("fence"));
            assertEquals("fence", next(w, "lobby_message").getValue("data"), "no leave or join came before it");
        } finally {
            cluster.restart(2);
        }
    }

    @Test
    @Order(5)
    void aKilledNodesMembersAreAwayInTheirFullLobbyAndComeBackOnAnotherNode() throws Exception {
        String lobby = Tokens.unique("lost");
        String watcher = Tokens.unique("watcher");
        String victim = Tokens.unique("victim");
        Watched setup = watched(lobby, watcher, 2, victim);
        TestSocket w = setup.watcher();
        join(1, lobby, Tokens.unique("third")).expect("welcome");
        next(w, "member_joined");

        cluster.kill(2);
        try {
            JsonObject away = nextAfterGrace(w, "member_away");
            assertEquals(new JsonObject().put("type", "member_away").put("user_id", victim).put("reason", "node_lost")
                    .put("hold_ms", GRACE_MS), withoutOffset(away));
            // Its seat is held: the full lobby stays full for anyone else.
            TestSocket.join(cluster.base(1), lobby, Tokens.valid(Tokens.unique("late")))
                    .expectRejected(4002, "lobby_full");
            w.send(chat("while lost"));
            TestSocket back = resume(1, lobby, victim, setup.seen(), setup.epoch());
            JsonObject welcome = back.expect("welcome");
            assertEquals(true, welcome.getBoolean("recovered"), welcome::encode);
            // What it missed: the third member's join, then the line sent while its node was gone.
            assertEquals("member_joined", back.next().getString("type"));
            assertEquals("while lost", back.expect("lobby_message").getValue("data"));
            assertEquals("member_back", next(w, "member_back").getString("type"));
            back.send(chat("fence"));
            assertEquals("fence", next(w, "lobby_message").getValue("data"), "no node_lost leave came before it");
        } finally {
            cluster.restart(2);
        }
    }

    /** One player of the rolling restart: the socket it uses now, where it is in its lobby's log, all it heard. */
    private static final class Player {
        final String user;
        final String lobby;
        final String epoch;
        volatile TestSocket socket;
        volatile int node;
        long lastOffset;
        final List<JsonObject> heard = new ArrayList<>();
        final AtomicInteger sent = new AtomicInteger();

        Player(String user, String lobby, int node, TestSocket socket, JsonObject welcome) {
            this.user = user;
            this.lobby = lobby;
            this.node = node;
            this.socket = socket;
            this.epoch = welcome.getString("epoch");
            this.lastOffset = welcome.getLong("offset");
        }

        void heard(JsonObject frame) {
            heard.add(frame);
            if (frame.containsKey("offset") && !"ack".equals(frame.getString("type"))) {
                lastOffset = frame.getLong("offset");
            }
        }

        /** Sends the next chat line, with an id so that the log acknowledges it; a closed socket drops it. */
        void chatter() {
            String line = user + ":" + sent.incrementAndGet();
            socket.send(chat(line).put("id", line));
        }
    }

    @Test
    @Order(6)
    void aRollingRestartUnderTrafficMovesEveryPlayerWithoutALeaveAJoinOrAnOverAdmission() throws Exception {
        int lobbies = 4;
        int size = 3; // max-per-lobby here: every lobby is full
        List<Player> players = new ArrayList<>();
        for (int l = 0; l < lobbies; l++) {
            String lobby = Tokens.unique("rolling");
            for (int j = 0; j < size; j++) {
                String user = Tokens.unique("p" + l + "x" + j);
                int node = (l + j) % cluster.size();
                TestSocket socket = join(node, lobby, user);
                players.add(new Player(user, lobby, node, socket, socket.expect("welcome")));
            }
        }
        // Every player has heard every later player of its lobby join: from here on nobody may join or leave.
        for (Player p : players) {
            long later = players.stream().filter(o -> o.lobby.equals(p.lobby)).dropWhile(o -> o != p).count() - 1;
            for (int k = 0; k < later; k++) {
                p.heard(next(p.socket, "member_joined"));
            }
            p.heard.clear();
        }

        // Traffic: every player says a line every 250 ms; newcomers knock at the full lobbies all along.
        ScheduledExecutorService traffic = Executors.newScheduledThreadPool(2);
        List<String> admittedNewcomers = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger lobbyFull = new AtomicInteger();
        Random random = new Random();
        try {
            for (Player p : players) {
                traffic.scheduleAtFixedRate(p::chatter, random.nextInt(250), 250, TimeUnit.MILLISECONDS);
            }
            traffic.scheduleWithFixedDelay(() -> {
                int node = random.nextInt(cluster.size());
                String lobby = players.get(random.nextInt(players.size())).lobby;
                String user = Tokens.unique("newcomer");
                try (TestSocket knock = TestSocket.join(cluster.base(node), lobby, Tokens.valid(user))) {
                    JsonObject first = knock.nextOrClose();
                    if (first != null && "welcome".equals(first.getString("type"))) {
                        admittedNewcomers.add(user + " on node " + node + " in " + lobby);
                    } else if (new TestSocket.Close(4002, "lobby_full").equals(knock.awaitClose())) {
                        lobbyFull.incrementAndGet();
                    }
                } catch (AssertionError nodeDown) {
                    // the node is restarting: nothing to knock at
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            long longestAwayNanos = 0;
            for (int restarted = 0; restarted < cluster.size(); restarted++) {
                cluster.terminate(restarted);
                List<Integer> others = new ArrayList<>();
                for (int n = 0; n < cluster.size(); n++) {
                    if (n != restarted) {
                        others.add(n);
                    }
                }
                int moved = 0;
                for (Player p : players) {
                    if (p.node != restarted) {
                        continue;
                    }
                    for (JsonObject frame = p.socket.nextOrClose(); frame != null; frame = p.socket.nextOrClose()) {
                        p.heard(frame);
                    }
                    long closedAt = System.nanoTime();
                    assertEquals(1012, p.socket.awaitClose().code(), p.user);
                    // As the browser client does: back, through the Service (another node), with its log position.
                    int target = others.get(moved++ % others.size());
                    TestSocket socket = resume(target, p.lobby, p.user, p.lastOffset, p.epoch);
                    JsonObject welcome = socket.expect("welcome");
                    longestAwayNanos = Math.max(longestAwayNanos, System.nanoTime() - closedAt);
                    assertEquals(true, welcome.getBoolean("recovered"), () -> p.user + ": " + welcome.encode());
                    p.socket = socket;
                    p.node = target;
                }
                assertTrue(moved > 0, "node " + restarted + " had players to move");
                cluster.restart(restarted);
            }
            System.out.printf("rolling restart: %d players moved, longest away %d ms, %d newcomers refused lobby_full%n",
                    players.size(), longestAwayNanos / 1_000_000, lobbyFull.get());
        } finally {
            traffic.shutdownNow();
            assertTrue(traffic.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertEquals(List.of(), admittedNewcomers, "a full lobby admitted a newcomer");
        assertTrue(lobbyFull.get() > 0, "newcomers were refused lobby_full");

        // Fences: each player's last line has an id; every player reads until its own fence is acknowledged and
        // it has read the fences of the others in its lobby (one sender's lines arrive in order).
        for (Player p : players) {
            p.socket.send(chat("fence:" + p.user).put("id", "fence:" + p.user));
        }
        for (Player p : players) {
            Set<String> awaited = new HashSet<>();
            players.stream().filter(o -> o.lobby.equals(p.lobby)).forEach(o -> awaited.add("fence:" + o.user));
            while (!awaited.isEmpty()) {
                JsonObject frame = p.socket.next();
                p.heard(frame);
                if ("ack".equals(frame.getString("type"))) {
                    awaited.remove(frame.getString("id"));
                } else if ("lobby_message".equals(frame.getString("type"))) {
                    awaited.remove(String.valueOf(frame.getValue("data")));
                }
            }
        }

        for (Player p : players) {
            List<JsonObject> presence = p.heard.stream().filter(f -> f.getString("type").startsWith("member_")).toList();
            assertTrue(presence.stream().allMatch(f -> Set.of("member_away", "member_back").contains(f.getString("type"))),
                    () -> p.user + " heard " + presence);
            // Whoever was heard going away was heard coming back (a move may also be a silent take-over).
            Map<String, Integer> balance = new HashMap<>();
            presence.forEach(f -> balance.merge(f.getString("user_id"), "member_away".equals(f.getString("type")) ? 1 : -1,
                    Integer::sum));
            assertTrue(balance.values().stream().allMatch(open -> open == 0), () -> p.user + " heard " + presence);
            // One order, nothing twice, across every connection it used.
            long previous = -1;
            for (JsonObject f : p.heard) {
                if (f.containsKey("offset") && !"ack".equals(f.getString("type"))) {
                    assertTrue(f.getLong("offset") > previous, () -> p.user + " heard offsets out of order: " + f);
                    previous = f.getLong("offset");
                }
            }
        }
        // Every line the log acknowledged reached every other member of its lobby exactly once.
        int checked = 0;
        for (Player sender : players) {
            List<String> acked = sender.heard.stream().filter(f -> "ack".equals(f.getString("type")))
                    .map(f -> f.getString("id")).toList();
            for (Player receiver : players) {
                if (receiver == sender || !receiver.lobby.equals(sender.lobby)) {
                    continue;
                }
                Map<Object, Long> lines = receiver.heard.stream()
                        .filter(f -> "lobby_message".equals(f.getString("type")) && sender.user.equals(f.getString("from")))
                        .collect(Collectors.groupingBy(f -> f.getValue("data"),
                                Collectors.counting()));
                for (String id : acked) {
                    assertEquals(1L, lines.getOrDefault(id, 0L), () -> receiver.user + " got " + id + " from " + sender.user);
                    checked++;
                }
            }
        }
        assertTrue(checked > players.size() * 10, "lines were acknowledged and checked: " + checked);
        // Every player is seated, connected, in its own lobby, and nobody else is.
        for (int l = 0; l < lobbies; l++) {
            String lobby = players.get(l * size).lobby;
            JsonObject detail = cluster.admin().get(cluster.base(l % cluster.size()), "/api/v1/lobbies/" + lobby).ok();
            Set<String> expected = players.stream().filter(p -> p.lobby.equals(lobby)).map(p -> p.user)
                    .collect(Collectors.toSet());
            assertEquals(expected, detail.getJsonArray("members").stream().map(JsonObject.class::cast)
                    .filter(m -> "connected".equals(m.getString("state"))).map(m -> m.getString("user_id"))
                    .collect(Collectors.toSet()), detail::encode);
            assertEquals(size, detail.getJsonArray("members").size(), detail::encode);
        }
    }

    @Test
    @Order(7)
    void aRedisThatLostItsDataEndsTheHoldsItKeptOnce() throws Exception {
        String lobby = Tokens.unique("amnesia");
        String phone = Tokens.unique("phone");
        Watched setup = watched(lobby, Tokens.unique("watcher"), 1, phone);
        TestSocket w = setup.watcher();
        setup.member().abort();
        next(w, "member_away");

        cluster.killRedis();
        cluster.startRedis();
        cluster.awaitAllReady();
        // The lobby's state was lost with the rest: it starts afresh (owner_changed, lobby_updated).
        Predicate<JsonObject> outage = frame -> Set.of("health_ping", "log_reset", "owner_changed", "lobby_updated")
                .contains(frame.getString("type"));
        JsonObject left = nextAfterGrace(w, "member_left", outage);
        assertEquals(new JsonObject().put("type", "member_left").put("user_id", phone).put("reason", "dropped"),
                withoutOffset(left));
        // Told once: the next frame is the next member's join.
        TestSocket later = join(2, lobby, Tokens.unique("later"));
        later.expect("welcome");
        assertEquals("member_joined", w.expectSkipping("member_joined", outage).getString("type"));
    }

    /**
     * Redis is frozen when the member's connection drops: the release is executed only when Redis thaws, after
     * the node gave up waiting for its answer. The node tries it again, and the second try must leave the
     * seat held (it used to free it: {@code member_left}).
     */
    @Test
    @Order(8)
    void aReleaseAnsweredTooLateLeavesTheSeatHeld() throws Exception {
        String lobby = Tokens.unique("late");
        String phone = Tokens.unique("phone");
        Watched setup = watched(lobby, Tokens.unique("watcher"), 2, phone);
        TestSocket w = setup.watcher();
        cluster.redis().freeze();
        try {
            setup.member().abort();
            // The node saw the close, so its release waits in frozen Redis's socket.
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> cluster.metric(2, "lobbyhub_connections_active") == 0);
        } finally {
            cluster.redis().thaw();
        }
        JsonObject away = nextAfterGrace(w, "member_away");
        assertEquals(new JsonObject().put("type", "member_away").put("user_id", phone).put("reason", "dropped")
                .put("hold_ms", GRACE_MS), withoutOffset(away));
        cluster.awaitAllReady();
        TestSocket back = resume(0, lobby, phone, setup.seen(), setup.epoch());
        assertEquals(true, back.expect("welcome").getBoolean("recovered"));
        assertEquals(phone, next(w, "member_back").getString("user_id"), "back, never left");
        back.send(chat("fence"));
        assertEquals("fence", next(w, "lobby_message").getValue("data"));
    }
}
