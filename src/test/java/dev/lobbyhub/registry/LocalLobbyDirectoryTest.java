package dev.lobbyhub.registry;

import java.util.List;
import java.util.Optional;

import dev.lobbyhub.cluster.LobbyDirectoryContract;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import io.smallrye.mutiny.Uni;

/** The lobby directory and reservations of a single node's seat store, its clock moved on for expiry. */
class LocalLobbyDirectoryTest extends LobbyDirectoryContract {

    private static final long TTL_MS = 15_000;

    private static final SeatEvents NONE = new SeatEvents() {
        @Override
        public void joined(String lobby, String userId, String connectionId, long sequence) {
        }

        @Override
        public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
        }

        @Override
        public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
        }

        @Override
        public void away(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
        }

        @Override
        public void back(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
        }

        @Override
        public void stateChanged(String lobby, String frame, long sequence) {
        }
    };

    private final LocalSeatStore seats = new LocalSeatStore(NONE);
    /** How far this test's clock is ahead of the wall clock. */
    private long skew;

    private long now() {
        return System.currentTimeMillis() + skew;
    }

    /** The store's directory, as {@link LocalSeating} calls it, on this test's clock. */
    private final LobbyDirectory directory = new LobbyDirectory() {
        @Override
        public Uni<Page> list(Query query, String afterCode, int limit) {
            return Uni.createFrom().item(seats.listNow(query, afterCode, limit));
        }

        @Override
        public Uni<QuickJoin> quickJoin(String userId, Query query, NewLobby ifNone) {
            return Uni.createFrom().item(seats.quickJoinNow(userId, query, ifNone, TTL_MS, now()));
        }

        @Override
        public Uni<PartyAnswer> reserve(String lobby, List<String> userIds) {
            return Uni.createFrom().item(seats.reserveNow(lobby, userIds, TTL_MS, now(), NONE));
        }

        @Override
        public Uni<LobbyState> create(NewLobby lobby) {
            return Uni.createFrom().item(seats.createNow(lobby, TTL_MS, now(), NONE));
        }

        @Override
        public Uni<Boolean> cancelReservation(String userId) {
            return Uni.createFrom().item(seats.cancelReservationNow(userId, NONE));
        }
    };

    private final LobbyStates states = new LobbyStates() {
        @Override
        public Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update) {
            return Uni.createFrom().item(seats.updateLobbyNow(lobby, by, update, NONE));
        }

        @Override
        public Uni<StateAnswer> updateMember(String lobby, String userId, String properties) {
            return Uni.createFrom().item(seats.updateMemberNow(lobby, userId, properties, NONE));
        }

        @Override
        public Uni<StateAnswer> kick(String lobby, String by, String userId) {
            return Uni.createFrom().item(seats.kickNow(lobby, by, userId, NONE));
        }

        @Override
        public Uni<StateAnswer> setOwner(String lobby, String userId) {
            return Uni.createFrom().item(seats.setOwnerNow(lobby, userId, NONE));
        }

        @Override
        public Uni<Optional<LobbyState>> state(String lobby) {
            return Uni.createFrom().item(Optional.ofNullable(seats.stateNow(lobby)));
        }
    };

    @Override
    protected LobbyDirectory directory() {
        return directory;
    }

    @Override
    protected SeatStore seats() {
        return seats;
    }

    @Override
    protected LobbyStates states() {
        return states;
    }

    @Override
    protected String node() {
        return "this-node";
    }

    @Override
    protected void expireReservations() {
        skew += TTL_MS + 1;
        seats.expireNow(now(), NONE);
    }
}
