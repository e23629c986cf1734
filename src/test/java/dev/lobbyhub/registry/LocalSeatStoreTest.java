package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.registry.SeatEvents;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.cluster.SeatStoreContract;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.LeaveReason;

/** The single node's seat store: the shared contract, plus the events it hands its listener. */
class LocalSeatStoreTest extends SeatStoreContract {

    private final List<String> events = new ArrayList<>();
    private final LocalSeatStore seats = new LocalSeatStore(new SeatEvents() {
        @Override
        public void joined(String lobby, String userId, String connectionId, long sequence) {
            events.add(sequence + " joined " + lobby + " " + userId);
        }

        @Override
        public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            events.add(sequence + " left " + lobby + " " + userId + " " + reason.wire());
        }

        @Override
        public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId,
                long sequence) {
            events.add(sequence + " replaced " + lobby + " " + userId);
        }

        @Override
        public void away(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            events.add(sequence + " away " + lobby + " " + userId + " " + reason.wire());
        }

        @Override
        public void back(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
            events.add(sequence + " back " + lobby + " " + userId);
        }

        @Override
        public void stateChanged(String lobby, String frame, long sequence) {
            events.add(sequence + " state " + lobby + " " + frame);
        }
    });

    @Override
    protected SeatStore seats() {
        return seats;
    }

    @Override
    protected List<String> nodes() {
        return List.of("a", "b", "c");
    }

    @Test
    void everySeatChangeIsOneEventInCommitOrder() {
        claim("l1", "ann", "c1", "a", 10, OnDuplicate.REPLACE);
        claim("l1", "bob", "c2", "a", 10, OnDuplicate.REPLACE);
        claim("l1", "ann", "c3", "a", 10, OnDuplicate.REPLACE);
        claim("l2", "ann", "c4", "a", 10, OnDuplicate.REPLACE);
        release("c2");
        release("c2");

        // Ann owned l1: when her seat there ends, bob (seated longest) owns it (SPEC §12).
        assertEquals(List.of("1 joined l1 ann", "2 joined l1 bob", "3 replaced l1 ann", "4 left l1 ann replaced",
                "5 state l1 {\"type\":\"owner_changed\",\"user_id\":\"bob\",\"previous\":\"ann\"}", "6 joined l2 ann",
                "7 left l1 bob left"), events);
    }
}
