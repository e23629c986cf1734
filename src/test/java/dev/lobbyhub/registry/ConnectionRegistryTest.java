package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.metrics.MeterNames;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.registry.SessionIndex.LobbySummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class ConnectionRegistryTest {

    private static final long PING_MS = 1234;
    private static final long STALE_MS = 5678;
    private static final int MAX_BYTES = 4321;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private ConnectionRegistry registry = registry(100, 3, OnDuplicate.REPLACE);

    @Test
    void welcomeIsTheFirstFrameAndListsEveryMemberIncludingSelf() {
        join("alice", "lobby");
        Session bob = join("bob", "lobby");

        List<JsonNode> frames = transport(bob).messages();
        JsonNode welcome = frames.get(0);
        assertEquals("welcome", welcome.path("type").asText());
        assertEquals(bob.connectionId(), welcome.path("connection_id").asText());
        assertEquals("bob", welcome.path("user_id").asText());
        assertEquals("lobby", welcome.path("lobby").asText());
        assertEquals(List.of("alice", "bob"), texts(welcome.path("members")));
        assertEquals(PING_MS, welcome.path("ping_interval_ms").asLong());
        assertEquals(STALE_MS, welcome.path("stale_after_ms").asLong());
        assertEquals(MAX_BYTES, welcome.path("max_message_bytes").asInt());
        assertEquals(1, frames.size(), "bob hears nothing about himself: " + frames);
    }

    @Test
    void otherMembersReceiveMemberJoined() {
        Session alice = join("alice", "lobby");
        Session other = join("olga", "elsewhere");
        join("bob", "lobby");

        assertEquals(List.of("welcome", "member_joined"), types(alice));
        assertEquals("bob", transport(alice).messages("member_joined").get(0).path("user_id").asText());
        assertEquals(List.of("welcome"), types(other), "another lobby hears nothing");
    }

    @Test
    void lobbyAtMaxPerLobbyRejectsWithLobbyFull() {
        registry = registry(100, 2, OnDuplicate.REPLACE);
        Session alice = join("alice", "lobby");
        join("bob", "lobby");
        RecordingTransport refused = new RecordingTransport();

        assertEquals(CloseCode.LOBBY_FULL, rejection("carol", "lobby", refused));
        assertEquals(2, registry.connectionCount());
        assertEquals(2, registry.members("lobby").length);
        assertNull(registry.findUser("carol"));
        assertEquals(List.of(), refused.frames(), "a refused connection is sent nothing");
        assertEquals(List.of("welcome", "member_joined"), types(alice), "nobody hears about the refused one");
    }

    @Test
    void nodeAtMaxConnectionsRejectsWithServerFull() {
        registry = registry(2, 10, OnDuplicate.REPLACE);
        join("alice", "one");
        join("bob", "two");

        assertEquals(CloseCode.SERVER_FULL, rejection("carol", "three", new RecordingTransport()));
        assertEquals(2, registry.connectionCount());
        assertEquals(2, registry.lobbyCount());
        assertEquals(0, registry.members("three").length);
    }

    @Test
    void countsFollowEveryJoinAndLeaveExactly() {
        Session alice = join("alice", "one");
        Session bob = join("bob", "one");
        Session carol = join("carol", "two");
        assertEquals(3, registry.connectionCount());
        assertEquals(2, registry.lobbyCount());
        assertArrayEquals(new Session[] { alice, bob }, registry.members("one"));
        assertArrayEquals(new Session[] { carol }, registry.members("two"));
        assertEquals(Set.of(alice, bob, carol), Set.copyOf(registry.sessions()));

        registry.transportClosed(alice, true);
        registry.disconnect(carol, CloseCode.KICKED);

        assertEquals(1, registry.connectionCount());
        assertEquals(1, registry.lobbyCount(), "an emptied lobby is gone");
        assertArrayEquals(new Session[] { bob }, registry.members("one"));
        assertEquals(0, registry.members("two").length);
        assertEquals(List.of(bob), List.copyOf(registry.sessions()));
    }

    @Test
    void reconnectInSameLobbyClosesTheOldOneReplacedWithoutLeaveOrJoin() {
        Session alice = join("alice", "lobby");
        Session old = join("bob", "lobby");

        Session renewed = join("bob", "lobby");

        assertEquals(1, transport(old).closeCalls());
        assertEquals(CloseCode.REPLACED, transport(old).closeCode());
        assertFalse(old.isOpen());
        assertEquals(List.of("welcome", "member_joined"), types(alice), "no member_left/member_joined");
        assertSame(renewed, registry.findUser("bob"));
        assertArrayEquals(new Session[] { alice, renewed }, registry.members("lobby"));
        assertEquals(2, registry.connectionCount());
        assertEquals(List.of("alice", "bob"), texts(transport(renewed).messages().get(0).path("members")));
    }

    @Test
    void reconnectInSameLobbyIsAdmittedWhenTheLobbyIsFull() {
        registry = registry(100, 2, OnDuplicate.REPLACE);
        join("alice", "lobby");
        Session old = join("bob", "lobby");

        Session renewed = join("bob", "lobby");

        assertSame(renewed, registry.findUser("bob"));
        assertEquals(2, registry.members("lobby").length);
        assertEquals(CloseCode.REPLACED, transport(old).closeCode());
    }

    @Test
    void reconnectInAnotherLobbyTellsTheOldLobbyReplacedAndTheNewLobbyJoined() {
        Session alice = join("alice", "old");
        Session carol = join("carol", "new");
        Session old = join("bob", "old");

        Session renewed = join("bob", "new");

        assertEquals(CloseCode.REPLACED, transport(old).closeCode());
        List<JsonNode> left = transport(alice).messages("member_left");
        assertEquals(1, left.size());
        assertEquals("bob", left.get(0).path("user_id").asText());
        assertEquals("replaced", left.get(0).path("reason").asText());
        List<JsonNode> joined = transport(carol).messages("member_joined");
        assertEquals(1, joined.size());
        assertEquals("bob", joined.get(0).path("user_id").asText());
        assertArrayEquals(new Session[] { alice }, registry.members("old"));
        assertArrayEquals(new Session[] { carol, renewed }, registry.members("new"));
        assertEquals(3, registry.connectionCount());
    }

    @Test
    void rejectPolicyRefusesTheDuplicateAndLeavesTheOldSessionUntouched() {
        registry = registry(100, 3, OnDuplicate.REJECT);
        Session alice = join("alice", "lobby");
        Session bob = join("bob", "lobby");

        assertEquals(CloseCode.DUPLICATE_SESSION, rejection("bob", "lobby", new RecordingTransport()));
        assertEquals(CloseCode.DUPLICATE_SESSION, rejection("bob", "elsewhere", new RecordingTransport()));

        assertTrue(bob.isOpen());
        assertEquals(0, transport(bob).closeCalls());
        assertSame(bob, registry.findUser("bob"));
        assertArrayEquals(new Session[] { alice, bob }, registry.members("lobby"));
        assertEquals(List.of("welcome", "member_joined"), types(alice));
        assertEquals(2, registry.connectionCount());
        assertEquals(1, registry.lobbyCount());
    }

    @Test
    void disconnectIsIdempotent() {
        Session alice = join("alice", "lobby");
        Session bob = join("bob", "lobby");

        assertTrue(registry.disconnect(bob, CloseCode.KICKED));
        assertFalse(registry.disconnect(bob, CloseCode.KICKED));
        assertFalse(registry.disconnect(bob, CloseCode.STALE));

        assertEquals(1, transport(bob).closeCalls());
        assertEquals(CloseCode.KICKED, transport(bob).closeCode());
        List<JsonNode> left = transport(alice).messages("member_left");
        assertEquals(1, left.size());
        assertEquals("bob", left.get(0).path("user_id").asText());
        assertEquals("kicked", left.get(0).path("reason").asText());
        assertEquals(1, registry.connectionCount());
    }

    @ParameterizedTest
    @EnumSource(value = CloseCode.class, names = { "NORMAL", "MESSAGE_TOO_BIG", "INTERNAL_ERROR", "SERVER_SHUTDOWN",
            "STALE", "KICKED", "RATE_LIMITED", "SLOW_CONSUMER" })
    void disconnectTellsTheLobbyTheLeaveReasonOfTheCode(CloseCode code) {
        Session alice = join("alice", "lobby");
        Session bob = join("bob", "lobby");

        registry.disconnect(bob, code);

        assertEquals(code, transport(bob).closeCode());
        JsonNode left = transport(alice).messages("member_left").get(0);
        assertEquals(code.leaveReason().wire(), left.path("reason").asText());
    }

    @Test
    void transportClosedAfterServerDisconnectDoesNothingMore() {
        Session alice = join("alice", "lobby");
        Session bob = join("bob", "lobby");
        registry.disconnect(bob, CloseCode.STALE);

        registry.transportClosed(bob, true);
        registry.transportClosed(bob, true);

        assertEquals(1, transport(bob).closeCalls());
        assertEquals(List.of("welcome", "member_joined", "member_left"), types(alice));
        assertEquals("stale", transport(alice).messages("member_left").get(0).path("reason").asText());
        assertEquals(Session.State.CLOSED, bob.state());
        assertEquals(1, registry.connectionCount());
        assertEquals(1.0, closedCount("stale") + closedCount("left"), "counted as closed once");
    }

    @Test
    void transportClosedOfAnOpenSessionAnnouncesLeft() {
        Session alice = join("alice", "lobby");
        Session bob = join("bob", "lobby");

        registry.transportClosed(bob, true);
        registry.transportClosed(bob, true);

        List<JsonNode> left = transport(alice).messages("member_left");
        assertEquals(1, left.size());
        assertEquals("bob", left.get(0).path("user_id").asText());
        assertEquals("left", left.get(0).path("reason").asText());
        assertEquals(0, transport(bob).closeCalls(), "the socket is already closed");
        assertNull(registry.findUser("bob"));
        assertFalse(registry.disconnect(bob, CloseCode.KICKED), "a closed session cannot be disconnected");
    }

    @Test
    void transportClosedOfAReplacedSessionKeepsTheNewerOne() {
        Session alice = join("alice", "lobby");
        Session old = join("bob", "lobby");
        Session renewed = join("bob", "lobby");

        registry.transportClosed(old, true);

        assertSame(renewed, registry.findUser("bob"));
        assertArrayEquals(new Session[] { alice, renewed }, registry.members("lobby"));
        assertEquals(2, registry.connectionCount());
        assertEquals(List.of("welcome", "member_joined"), types(alice));
    }

    @Test
    void disconnectOfAReplacedSessionKeepsTheNewerOne() {
        Session alice = join("alice", "lobby");
        Session old = join("bob", "lobby");
        Session renewed = join("bob", "lobby");

        assertFalse(registry.disconnect(old, CloseCode.KICKED));

        assertSame(renewed, registry.findUser("bob"));
        assertTrue(renewed.isOpen());
        assertEquals(0, transport(renewed).closeCalls());
        assertEquals(1, transport(old).closeCalls(), "closed once, as replaced");
        assertArrayEquals(new Session[] { alice, renewed }, registry.members("lobby"));
        assertEquals(List.of("welcome", "member_joined"), types(alice));
    }

    /**
     * The user reconnects while the server is closing their old connection: after the old socket is
     * told to close and before the old session leaves the indexes (staged from the close call).
     */
    @Test
    void disconnectRacingAReconnectKeepsTheReconnect() {
        Session alice = join("alice", "lobby");
        List<Session> reconnect = new ArrayList<>();
        RecordingTransport oldSocket = new RecordingTransport()
                .onClose(code -> reconnect.add(join("bob", "lobby")));
        Session old = ((Admission.Admitted) registry.localSeating().admit(identity("bob"), "lobby", "c-old", oldSocket)).session();

        assertTrue(registry.disconnect(old, CloseCode.KICKED));

        Session renewed = reconnect.get(0);
        assertSame(renewed, registry.findUser("bob"));
        assertArrayEquals(new Session[] { alice, renewed }, registry.members("lobby"));
        assertEquals(2, registry.connectionCount());
        assertEquals(1, oldSocket.closeCalls());
        assertEquals(List.of(), transport(alice).messages("member_left"), "bob kept his seat");
    }

    @Test
    void closingASessionReplacedFromAnotherLobbyKeepsTheNewerOne() {
        Session old = join("bob", "old");
        Session carol = join("carol", "new");
        Session renewed = join("bob", "new");

        registry.transportClosed(old, true);
        registry.disconnect(old, CloseCode.KICKED);

        assertSame(renewed, registry.findUser("bob"));
        assertArrayEquals(new Session[] { carol, renewed }, registry.members("new"));
        assertEquals(0, registry.members("old").length);
        assertEquals(2, registry.connectionCount());
        assertEquals(1, registry.lobbyCount());
        assertEquals(List.of("welcome", "member_joined"), types(carol));
    }

    @Test
    void framesSentBeforeTheWelcomeFollowItInOrder() {
        RecordingTransport transport = new RecordingTransport();
        Session session = new Session("c1", "alice", null, "lobby", transport);

        session.send("first");
        session.send("second");
        assertEquals(List.of(), transport.frames(), "held until the welcome");
        session.sendWelcome("welcome", List.of());
        session.send("third");

        assertEquals(List.of("welcome", "first", "second", "third"), transport.frames());
    }

    @Test
    void drainingRejectsWithServerShutdown() {
        Session alice = join("alice", "lobby");

        registry.startDraining();

        assertTrue(registry.isDraining());
        assertEquals(CloseCode.SERVER_SHUTDOWN, rejection("bob", "lobby", new RecordingTransport()));
        assertEquals(CloseCode.SERVER_SHUTDOWN, rejection("alice", "lobby", new RecordingTransport()),
                "not even a replacement");
        assertTrue(alice.isOpen(), "open connections are left to the caller");
        assertEquals(1, registry.connectionCount());
    }

    @Test
    void lobbiesPageInCodeOrderWithMemberCountsAndNoEmptyLobbies() {
        join("d1", "delta");
        join("a1", "alpha");
        join("c1", "charlie");
        join("a2", "alpha");
        join("b1", "bravo");
        registry.transportClosed(join("e1", "echo"), true);

        assertEquals(List.of(new LobbySummary("alpha", 2), new LobbySummary("bravo", 1)), registry.lobbies(null, 2));
        assertEquals(List.of(new LobbySummary("charlie", 1), new LobbySummary("delta", 1)),
                registry.lobbies("bravo", 2));
        assertEquals(List.of(), registry.lobbies("delta", 2));
        assertEquals(List.of(new LobbySummary("bravo", 1), new LobbySummary("charlie", 1)),
                registry.lobbies("b", 2), "the cursor need not be a lobby");
        assertEquals(4, registry.lobbies(null, 100).size());
        assertEquals(4, registry.lobbyCount());
    }

    @Test
    void metricsCountAcceptedConnectionsAndClosesByReason() {
        Session alice = join("alice", "lobby");
        join("bob", "lobby");
        registry.startDraining();
        rejection("carol", "lobby", new RecordingTransport());

        registry.disconnect(alice, CloseCode.KICKED);

        assertEquals(2.0, meters.get(MeterNames.CONNECTIONS_ACCEPTED).counter().count());
        assertEquals(1.0, closedCount("kicked"));
        assertEquals(0.0, closedCount("left"));
        assertEquals(1.0, meters.get(MeterNames.CONNECTIONS_ACTIVE).gauge().value());
        assertEquals(1.0, meters.get(MeterNames.LOBBIES_ACTIVE).gauge().value());
    }

    /**
     * A member who leaves while their admission is still announcing itself must not end up shown as
     * present. Two threads, staged with latches: the joiner's welcome is being written when an admin
     * kicks the joiner; the kick's {@code member_left} goes out, then the joiner's {@code member_joined}.
     */
    @Test
    void memberLeftIsNeverOvertakenByTheSameMembersJoin() throws Exception {
        Session rachel = join("rachel", "lobby");
        CountDownLatch welcomeBeingSent = new CountDownLatch(1);
        CountDownLatch kicked = new CountDownLatch(1);
        RecordingTransport ursulasSocket = new RecordingTransport().onSend(frame -> {
            if (frame.contains("\"welcome\"")) {
                welcomeBeingSent.countDown();
                await(kicked);
            }
        });
        CompletableFuture<Admission> admission = CompletableFuture
                .supplyAsync(() -> registry.localSeating().admit(identity("ursula"), "lobby", "c-ursula", ursulasSocket));

        assertTrue(welcomeBeingSent.await(10, TimeUnit.SECONDS));
        assertTrue(registry.disconnect(registry.findUser("ursula"), CloseCode.KICKED));
        kicked.countDown();
        assertInstanceOf(Admission.Admitted.class, admission.get(10, TimeUnit.SECONDS));

        assertEquals(Set.of("rachel"), presenceSeenBy(rachel), "rachel's frames: " + transport(rachel).frames());
        assertArrayEquals(new Session[] { rachel }, registry.members("lobby"));
    }

    @Test
    void aMemberClosedByTheFanOutItselfIsToldAfterTheFrameInHand() {
        registry = registry(100, 10, OnDuplicate.REPLACE);
        join("alice", "lobby");
        Session[] bob = new Session[1];
        RecordingTransport bobsSocket = new RecordingTransport().onSend(frame -> {
            if (frame.contains("member_joined") && frame.contains("carol")) {
                // A send that finds the backlog full closes the member on the sending thread.
                registry.disconnect(bob[0], CloseCode.SLOW_CONSUMER);
            }
        });
        bob[0] = assertInstanceOf(Admission.Admitted.class,
                registry.localSeating().admit(identity("bob"), "lobby", "c-bob", bobsSocket)).session();
        Session dave = join("dave", "lobby");

        join("carol", "lobby");

        List<String> heard = new ArrayList<>();
        for (JsonNode frame : transport(dave).messages()) {
            heard.add(frame.path("type").asText() + " " + frame.path("user_id").asText());
        }
        assertEquals(List.of("welcome dave", "member_joined carol", "member_left bob"), heard,
                "dave hears the lobby's changes in the order they happened");
    }

    // --- helpers

    private ConnectionRegistry registry(int maxConnections, int maxPerLobby, OnDuplicate onDuplicate) {
        meters.clear();
        return new ConnectionRegistry(new ConnectionRegistry.Settings(maxConnections, maxPerLobby, onDuplicate,
                PING_MS, STALE_MS, MAX_BYTES), new LobbyhubMetrics(meters));
    }

    @Test
    void aSlowFanOutInOneLobbyDoesNotHoldUpAdmissionsToAnother() throws Exception {
        CountDownLatch inFanOut = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingTransport slow = new RecordingTransport().onSend(text -> {
            if (text.contains("member_joined")) {
                inFanOut.countDown();
                await(release);
            }
        });
        Session alice = assertInstanceOf(Admission.Admitted.class, registry.localSeating().admit(identity("alice"), "busy",
                "c-alice", slow)).session();
        CompletableFuture<Session> bob = CompletableFuture.supplyAsync(() -> join("bob", "busy"));
        try {
            assertTrue(inFanOut.await(10, TimeUnit.SECONDS), "bob's member_joined reaches alice");
            Session carol = join("carol", "quiet");
            Session dave = join("dave", "quiet");
            assertEquals(List.of("welcome", "member_joined"), types(carol), "admitted while the busy lobby's fan-out waits");
            assertEquals(List.of("welcome"), types(dave));
            assertFalse(bob.isDone(), "bob is welcomed only after his lobby heard of him");
        } finally {
            release.countDown();
        }
        assertEquals(List.of("welcome"), types(bob.get(10, TimeUnit.SECONDS)));
        assertEquals(List.of("welcome", "member_joined"), types(alice));
    }

    private Session join(String userId, String lobby) {
        Admission admission = registry.localSeating().admit(identity(userId), lobby, "c" + connectionIds.incrementAndGet(),
                new RecordingTransport());
        return assertInstanceOf(Admission.Admitted.class, admission, userId + " into " + lobby).session();
    }

    private CloseCode rejection(String userId, String lobby, RecordingTransport transport) {
        Admission admission = registry.localSeating().admit(identity(userId), lobby, "c" + connectionIds.incrementAndGet(),
                transport);
        return assertInstanceOf(Admission.Rejected.class, admission, userId + " into " + lobby).code();
    }

    private double closedCount(String reason) {
        return meters.get(MeterNames.CONNECTIONS_CLOSED).tag(MeterNames.TAG_REASON, reason).counter().count();
    }

    private static Identity identity(String userId) {
        return new Identity(userId, null, Optional.empty());
    }

    private static RecordingTransport transport(Session session) {
        return (RecordingTransport) session.transport();
    }

    private static List<String> types(Session session) {
        return transport(session).types();
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    /** Who a client believes is in its lobby: the welcome's members, then each join and leave applied in order. */
    static Set<String> presenceSeenBy(Session session) {
        Set<String> present = new LinkedHashSet<>();
        for (JsonNode message : transport(session).messages()) {
            switch (message.path("type").asText()) {
                case "welcome" -> present.addAll(texts(message.path("members")));
                case "member_joined" -> present.add(message.path("user_id").asText());
                case "member_left" -> present.remove(message.path("user_id").asText());
                default -> {
                }
            }
        }
        return present;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
