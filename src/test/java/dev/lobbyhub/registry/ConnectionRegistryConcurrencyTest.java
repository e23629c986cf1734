package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.metrics.MeterNames;
import dev.lobbyhub.protocol.CloseCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Random admits, server disconnects and socket closes from many threads at once, against limits
 * small enough that every rule is hit constantly. The indexes must agree, the limits must hold at
 * every moment, and every connection must be closed and announced at most once.
 * <p>
 * The op sequences come from a seed printed in every failure; rerun with {@code -Dregistry.seed=N}
 * (the interleaving itself is up to the scheduler).
 */
class ConnectionRegistryConcurrencyTest {

    private static final int THREADS = 8;
    private static final int OPS_PER_THREAD = 6_000;
    private static final int MAX_CONNECTIONS = 20;
    private static final int MAX_PER_LOBBY = 3;
    /** 8 lobbies × 3 seats = 24 > 20, so both the node and the lobby limit are reached. */
    private static final int LOBBIES = 8;
    private static final int USERS = 30;
    /** Recently admitted sessions that disconnect / transportClosed pick from (closed ones stay, on purpose). */
    private static final int SLOTS = 40;
    private static final Logger REGISTRY_LOG = Logger.getLogger("dev.lobbyhub.registry");

    private static Level previousLevel;

    @BeforeAll
    static void quietRegistryLog() {
        previousLevel = REGISTRY_LOG.getLevel();
        REGISTRY_LOG.setLevel(Level.WARNING);
    }

    @AfterAll
    static void restoreRegistryLog() {
        REGISTRY_LOG.setLevel(previousLevel);
    }

    static Stream<Arguments> runs() {
        long base = Long.getLong("registry.seed", new Random().nextLong());
        return Stream.of(OnDuplicate.values())
                .flatMap(policy -> Stream.of(0L, 1L).map(i -> Arguments.of(policy, base + i)));
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("runs")
    void indexesAgreeLimitsHoldAndNothingLeaks(OnDuplicate policy, long seed) throws Exception {
        String run = "[policy=" + policy + " seed=" + seed + "] ";
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ConnectionRegistry registry = new ConnectionRegistry(
                new ConnectionRegistry.Settings(MAX_CONNECTIONS, MAX_PER_LOBBY, policy, 15_000, 45_000, 65_536),
                new LobbyhubMetrics(meters));
        List<String> lobbies = new ArrayList<>();
        for (int i = 0; i < LOBBIES; i++) {
            lobbies.add("lobby-" + i);
        }

        Queue<Session> admitted = new ConcurrentLinkedQueue<>();
        Queue<RecordingTransport> refused = new ConcurrentLinkedQueue<>();
        Queue<String> violations = new ConcurrentLinkedQueue<>();
        Map<CloseCode, LongAdder> rejections = new EnumMap<>(CloseCode.class);
        Map<CloseCode, LongAdder> disconnects = new EnumMap<>(CloseCode.class);
        for (CloseCode code : CloseCode.values()) {
            rejections.put(code, new LongAdder());
            disconnects.put(code, new LongAdder());
        }
        AtomicReferenceArray<Session> slots = new AtomicReferenceArray<>(SLOTS);
        AtomicInteger connectionIds = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(seed * 31 + t);
                workers.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int op = 0; op < OPS_PER_THREAD; op++) {
                        int dice = random.nextInt(100);
                        if (dice < 50) {
                            String user = "user-" + random.nextInt(USERS);
                            String lobby = lobbies.get(random.nextInt(LOBBIES));
                            RecordingTransport transport = new RecordingTransport();
                            Admission admission = registry.localSeating().admit(new Identity(user, null, Optional.empty()), lobby,
                                    "c" + connectionIds.incrementAndGet(), transport);
                            if (admission instanceof Admission.Admitted ok) {
                                admitted.add(ok.session());
                                slots.set(random.nextInt(SLOTS), ok.session());
                            } else {
                                rejections.get(((Admission.Rejected) admission).code()).increment();
                                refused.add(transport);
                            }
                        } else {
                            Session target = slots.get(random.nextInt(SLOTS));
                            if (target != null && dice < 75) {
                                CloseCode code = random.nextBoolean() ? CloseCode.KICKED : CloseCode.STALE;
                                if (registry.disconnect(target, code)) {
                                    disconnects.get(code).increment();
                                }
                            } else if (target != null) {
                                registry.transportClosed(target, true);
                            }
                        }
                        sampleLimits(registry, lobbies, violations);
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(List.of(), List.copyOf(violations).subList(0, Math.min(violations.size(), 5)),
                run + violations.size() + " limit violations seen while running");
        assertTrue(rejections.get(CloseCode.LOBBY_FULL).sum() > 0, run + "lobby limit never reached: " + rejections);
        assertTrue(rejections.get(CloseCode.SERVER_FULL).sum() > 0, run + "node limit never reached: " + rejections);
        if (policy == OnDuplicate.REJECT) {
            assertTrue(rejections.get(CloseCode.DUPLICATE_SESSION).sum() > 0, run + "no duplicate: " + rejections);
        }

        // The user index and the lobbies agree exactly, and hold only open sessions.
        int memberTotal = 0;
        int nonEmpty = 0;
        for (String lobby : lobbies) {
            Session[] members = registry.members(lobby);
            memberTotal += members.length;
            nonEmpty += members.length > 0 ? 1 : 0;
            assertTrue(members.length <= MAX_PER_LOBBY, run + lobby + " has " + members.length);
            for (Session member : members) {
                assertSame(member, registry.findUser(member.userId()), run + member + " is in " + lobby);
                assertEquals(lobby, member.lobby(), run + member);
            }
        }
        for (Session session : registry.sessions()) {
            assertSame(session, registry.findUser(session.userId()), run + session);
            assertEquals(Session.State.OPEN, session.state(), run + session + " is still indexed");
            assertTrue(List.of(registry.members(session.lobby())).contains(session), run + session + " not in lobby");
        }
        assertEquals(registry.sessions().size(), registry.connectionCount(), run + "connectionCount vs sessions()");
        assertEquals(memberTotal, registry.connectionCount(), run + "connectionCount vs members");
        assertEquals(nonEmpty, registry.lobbyCount(), run + "lobbyCount vs non-empty lobbies");
        assertEquals(nonEmpty, registry.lobbies(null, 100).size(), run + "lobby list");

        // Open means indexed; closed means not; every close reached the socket with the session's code, once.
        for (Session session : admitted) {
            RecordingTransport transport = (RecordingTransport) session.transport();
            assertEquals(session.isOpen(), registry.findUser(session.userId()) == session, run + session);
            assertTrue(transport.closeCalls() <= 1, run + session + " closed " + transport.closeCalls() + " times");
            assertEquals(session.closeCode(), transport.closeCode(), run + session);
        }
        for (RecordingTransport transport : refused) {
            assertEquals(List.of(), transport.frames(), run + "a refused connection is sent nothing");
            assertEquals(0, transport.closeCalls(), run + "the caller closes refused connections");
        }

        // Every session that ended was counted once, under the reason of how it ended.
        assertEquals(admitted.size(), (long) meters.get(MeterNames.CONNECTIONS_ACCEPTED).counter().count(), run);
        long ended = admitted.stream().filter(session -> !session.isOpen()).count();
        long endedByClient = admitted.stream().filter(s -> !s.isOpen() && s.closeCode() == null).count();
        long replaced = admitted.stream().filter(s -> s.closeCode() == CloseCode.REPLACED).count();
        assertEquals(ended, (long) totalClosed(meters), run + "closed counter vs sessions that ended");
        assertEquals(disconnects.get(CloseCode.KICKED).sum(), (long) closed(meters, "kicked"), run);
        assertEquals(disconnects.get(CloseCode.STALE).sum(), (long) closed(meters, "stale"), run);
        assertEquals(replaced, (long) closed(meters, "replaced"), run);
        assertEquals(endedByClient, (long) closed(meters, "left"), run);
        if (policy == OnDuplicate.REJECT) {
            assertEquals(0, replaced, run + "reject never replaces");
        }

        // Close everything that is left: nothing may stay behind.
        for (Session session : List.copyOf(registry.sessions())) {
            assertTrue(registry.disconnect(session, CloseCode.SERVER_SHUTDOWN), run + session);
        }
        assertEquals(0, registry.connectionCount(), run);
        assertEquals(0, registry.sessions().size(), run);
        assertEquals(0, registry.lobbyCount(), run);
        assertEquals(List.of(), registry.lobbies(null, 100), run);
        for (String lobby : lobbies) {
            assertEquals(0, registry.members(lobby).length, run + lobby);
        }
        assertEquals(0.0, meters.get(MeterNames.CONNECTIONS_ACTIVE).gauge().value(), run);
        assertEquals(admitted.size(), (long) totalClosed(meters), run + "every admitted connection closed once");

        assertFramesAreConsistent(run, admitted);
    }

    /**
     * Every member's first frame is its welcome; nobody hears about their own user; no receiver gets
     * the same departure twice; and no user is announced as gone more often than their connections ended.
     * A departure's {@code member_left} is built once and the same String handed to every receiver,
     * so String identity tells departures apart.
     */
    private static void assertFramesAreConsistent(String run, Queue<Session> admitted) {
        Map<String, Integer> connectionsPerUser = new HashMap<>();
        Map<String, Set<String>> departuresPerUser = new HashMap<>();
        for (Session session : admitted) {
            connectionsPerUser.merge(session.userId(), 1, Integer::sum);
            assertTrue(((RecordingTransport) session.transport()).closeCalls() <= 1, run + session + " close calls");
            List<String> frames = ((RecordingTransport) session.transport()).frames();
            assertTrue(!frames.isEmpty() && frames.get(0).contains("\"type\":\"welcome\""),
                    run + session + " first frame: " + (frames.isEmpty() ? "none" : frames.get(0)));
            Set<String> seen = Collections.newSetFromMap(new IdentityHashMap<>());
            for (String frame : frames.subList(1, frames.size())) {
                JsonNode message = RecordingTransport.parse(frame);
                String type = message.path("type").asText();
                String about = message.path("user_id").asText();
                if (type.equals("owner_changed")) {
                    // The lobby's owner left and another member owns it now (SPEC §12).
                    assertTrue(!about.equals(message.path("previous").asText()), run + frame);
                    continue;
                }
                assertTrue(Set.of("member_joined", "member_left").contains(type), run + session + " got " + frame);
                assertTrue(!about.equals(session.userId()), run + session + " heard about itself: " + frame);
                if (type.equals("member_left")) {
                    assertTrue(seen.add(frame), run + session + " got the same departure twice: " + frame);
                    assertTrue(Set.of("left", "kicked", "stale", "replaced", "shutdown")
                            .contains(message.path("reason").asText()), run + frame);
                    departuresPerUser.computeIfAbsent(about, user -> Collections.newSetFromMap(new IdentityHashMap<>()))
                            .add(frame);
                }
            }
        }
        Set<String> users = new HashSet<>(departuresPerUser.keySet());
        for (String user : users) {
            int departures = departuresPerUser.get(user).size();
            assertTrue(departures <= connectionsPerUser.getOrDefault(user, 0),
                    run + user + " announced gone " + departures + " times for " + connectionsPerUser.get(user)
                            + " connections");
        }
    }

    private static void sampleLimits(ConnectionRegistry registry, List<String> lobbies, Queue<String> violations) {
        int count = registry.connectionCount();
        if (count > MAX_CONNECTIONS) {
            violations.add("connectionCount " + count);
        }
        for (String lobby : lobbies) {
            Session[] members = registry.members(lobby);
            if (members.length > MAX_PER_LOBBY) {
                violations.add(lobby + " has " + members.length + " members");
            }
            Set<String> users = new HashSet<>();
            for (Session member : members) {
                if (!users.add(member.userId())) {
                    violations.add(lobby + " holds " + member.userId() + " twice");
                }
            }
        }
    }

    private static double closed(SimpleMeterRegistry meters, String reason) {
        return meters.get(MeterNames.CONNECTIONS_CLOSED).tag(MeterNames.TAG_REASON, reason).counter().count();
    }

    private static double totalClosed(SimpleMeterRegistry meters) {
        return meters.get(MeterNames.CONNECTIONS_CLOSED).counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
