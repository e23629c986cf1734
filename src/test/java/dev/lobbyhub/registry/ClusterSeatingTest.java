package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.registry.SeatEvents;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;

/**
 * The registry in cluster mode, driven by seat events as the shared store sends them: sessions
 * enter on their own event, members hear every change once, and a node that was taken for dead
 * keeps its open connections.
 */
class ClusterSeatingTest {

    /** A store that records releases and answers them, or fails them as an unreachable Redis does. */
    private static final class SharedStore implements SeatStore {
        final List<String> released = new ArrayList<>();
        boolean reachable = true;

        @Override
        public Uni<Claim> claim(Seat seat, int maxPerLobby, OnDuplicate onDuplicate) {
            throw new UnsupportedOperationException("admission goes through the admitter in cluster mode");
        }

        @Override
        public Uni<Boolean> release(String connectionId, LeaveReason reason) {
            if (!reachable) {
                return Uni.createFrom().failure(new IllegalStateException("Redis unreachable"));
            }
            released.add(connectionId + ":" + reason.wire());
            return Uni.createFrom().item(true);
        }
    }

    private final ConnectionRegistry registry = new ConnectionRegistry(
            new ConnectionRegistry.Settings(100, 10, OnDuplicate.REPLACE, 1000, 3000, 4096),
            new LobbyhubMetrics(new SimpleMeterRegistry()));
    private final SharedStore store = new SharedStore();
    private final ClusterSeating seating = joinCluster();
    private final SeatEvents stream = seating.events();
    private long sequence;

    private ClusterSeating joinCluster() {
        ClusterSeating shared = new ClusterSeating(registry, store);
        registry.useSeating(shared);
        return shared;
    }

    @Test
    void aSessionEntersOnItsOwnSeatEventAndIsWelcomedWithTheMembersOfItsClaim() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        stream.joined("lobby", "remote-bob", "c-bob", ++sequence);
        Session carol = reserve("carol", "c-carol");
        assertFalse(seating.whenSeated(carol).toCompletableFuture().isDone(), "not seated before its event");

        stream.joined("lobby", "carol", "c-carol", ++sequence);
        seating.welcome(carol, List.of("alice", "remote-bob", "carol"));

        assertEquals(List.of("welcome", "member_joined", "member_joined"), types(alice));
        assertEquals(List.of("remote-bob", "carol"), users(alice, "member_joined"));
        assertEquals(List.of("welcome"), types(carol), "carol hears nothing of herself or of changes before her seat");
        assertEquals(2, registry.members("lobby").length);
    }

    @Test
    void membersOfTheNodeHearItsMemberLeaveFromTheStoreOnlyOnce() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));

        registry.transportClosed(bob, true);
        assertEquals(List.of("c-bob:left"), store.released);
        assertEquals(2, registry.members("lobby").length, "still a member until the store says it left");
        stream.left("lobby", "bob", "c-bob", LeaveReason.LEFT, ++sequence);

        assertEquals(List.of("left"), reasons(alice));
        assertArrayEquals(new Session[] { alice }, registry.members("lobby"));
    }

    @Test
    void aLeaveThatCannotReachTheStoreIsToldHereAtOnceAndNotAgainWhenItArrives() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));
        store.reachable = false;

        registry.transportClosed(bob, true);
        assertEquals(List.of("left"), reasons(alice));
        assertEquals(Map.of("c-bob", LeaveReason.LEFT), seating.takeUnreleased());

        stream.left("lobby", "bob", "c-bob", LeaveReason.LEFT, ++sequence);
        stream.joined("lobby", "dave", "c-dave", ++sequence); // fence
        assertEquals(List.of("welcome", "member_joined", "member_left", "member_joined"), types(alice));
    }

    @Test
    void aClosedSessionWhoseLeaveNeverArrivesIsRemovedHereAfterTheGraceAndToldOnce() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));

        registry.transportClosed(bob, true); // released, but the subscription died: no left event comes
        seating.forgetClosed(Long.MAX_VALUE);
        assertEquals(2, registry.connectionCount(), "within the grace the store's event may still come");
        seating.forgetClosed(0);

        assertEquals(1, registry.connectionCount(), "this node's count follows its sockets");
        assertArrayEquals(new Session[] { alice }, registry.members("lobby"));
        assertEquals(List.of("left"), reasons(alice));
        stream.left("lobby", "bob", "c-bob", LeaveReason.LEFT, ++sequence); // arrives late after all
        stream.joined("lobby", "dave", "c-dave", ++sequence); // fence
        assertEquals(List.of("welcome", "member_joined", "member_left", "member_joined"), types(alice), "told once");
    }

    @Test
    void anOpenSessionIsNeverForgotten() {
        seated("alice", "c-alice", List.of("alice"));
        seating.forgetClosed(0);
        assertEquals(1, registry.connectionCount());
    }

    @Test
    void aConnectionDisplacedBeforeItsAdmissionEndedEndsReplacedNotRefused() {
        Session first = reserve("erin", "c-erin-1");
        stream.joined("lobby", "erin", "c-erin-1", ++sequence);
        // A newer connection of the same user, on another node, took the seat before the claim's answer came back.
        stream.replaced("lobby", "erin", "c-erin-1", "c-erin-2", ++sequence);

        Throwable failure = seating.whenSeated(first).toCompletableFuture().handle((ok, error) -> error).join();
        assertInstanceOf(SeatLostException.class, failure.getCause() == null ? failure : failure.getCause());
        SeatLostException lost = (SeatLostException) (failure.getCause() == null ? failure : failure.getCause());
        assertEquals(CloseCode.REPLACED, lost.code());
    }

    @Test
    void aNodeTakenForDeadKeepsItsOpenConnectionsAndItsMembersSeeTheLeaveAndTheReturn() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));

        stream.left("lobby", "bob", "c-bob", LeaveReason.NODE_LOST, ++sequence);
        assertTrue(bob.isOpen());
        assertEquals(2, registry.members("lobby").length);
        stream.joined("lobby", "bob", "c-bob", ++sequence); // its seat taken back

        assertEquals(List.of("welcome", "member_joined", "member_left", "member_joined"), types(alice));
        assertEquals(List.of("node_lost"), reasons(alice));
        assertEquals(List.of("welcome"), types(bob), "bob hears nothing of his own leave and return");
    }

    @Test
    void aNewerConnectionElsewhereClosesTheOldOneHereWithoutTellingTheLobby() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));

        stream.replaced("lobby", "bob", "c-bob", "c-bob-2", ++sequence);

        assertEquals(CloseCode.REPLACED, transport(bob).closeCode());
        assertArrayEquals(new Session[] { alice }, registry.members("lobby"));
        assertEquals(List.of("welcome", "member_joined"), types(alice), "nobody is told of a replacement");
        assertNull(registry.findUser("bob"));
    }

    @Test
    void aConnectionThatCannotTakeItsSeatBackIsClosedWithItsCodeAndItsLobbyHereIsTold() {
        Session alice = seated("alice", "c-alice", List.of("alice"));
        Session bob = seated("bob", "c-bob", List.of("alice", "bob"));

        seating.dropHere(bob, CloseCode.LOBBY_FULL, LeaveReason.NODE_LOST);

        assertEquals(CloseCode.LOBBY_FULL, transport(bob).closeCode());
        assertEquals(List.of("node_lost"), reasons(alice));
        assertArrayEquals(new Session[] { alice }, registry.members("lobby"));
    }

    private Session reserve(String user, String connectionId) {
        return assertInstanceOf(Admission.Admitted.class, seating.reserve(
                new Identity(user, null, Optional.empty()), "lobby", connectionId, new RecordingTransport())).session();
    }

    private Session seated(String user, String connectionId, List<String> members) {
        Session session = reserve(user, connectionId);
        stream.joined("lobby", user, connectionId, ++sequence);
        assertTrue(seating.whenSeated(session).toCompletableFuture().isDone());
        seating.welcome(session, members);
        return session;
    }

    private static RecordingTransport transport(Session session) {
        return (RecordingTransport) session.transport();
    }

    private static List<String> types(Session session) {
        return transport(session).types();
    }

    private static List<String> users(Session session, String type) {
        List<String> users = new ArrayList<>();
        for (JsonNode message : transport(session).messages(type)) {
            users.add(message.path("user_id").asText());
        }
        return users;
    }

    private static List<String> reasons(Session session) {
        List<String> reasons = new ArrayList<>();
        for (JsonNode message : transport(session).messages("member_left")) {
            reasons.add(message.path("reason").asText());
        }
        return reasons;
    }
}
