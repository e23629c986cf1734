package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.metrics.LobbyhubMetrics.HoldOutcome;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;
import io.smallrye.mutiny.Uni;

/**
 * Seats of a single node: admission and release decided on the spot, each in one short critical
 * section under the node's lock (map updates only, no I/O), so limits hold under any burst. The
 * seat rules (lobby capacity, one connection per user) are the {@link LocalSeatStore}'s; the node's
 * own (draining, {@code max-connections}) are checked here. The store's seat events of each
 * decision are applied to this node's sessions by a {@link Decision} made for it.
 *
 * <p>
 * With {@code users.reconnect-grace} above 0, a member whose connection ends for a reason that
 * holds its seat (SPEC §10) becomes away: the lobby hears {@code member_away}, and the user's next
 * connection to that lobby takes the seat back ({@code member_back}, and it may recover what it
 * missed); one to another lobby frees it ({@code member_left left}); otherwise the seat ends when
 * the grace runs out ({@link #expireHolds}), with the reason that made it away.
 */
public final class LocalSeating implements Seating {

    private static final Uni<Optional<LobbyState>> NO_STATE = Uni.createFrom().item(Optional.empty());

    /** The node id in seats of a single node: nobody else reads it. */
    private static final String THIS_NODE = "this-node";

    private final ConnectionRegistry registry;
    private final SessionIndex index;
    private final LobbyFanOut fanOut;
    private final SessionLedger ledger;
    private final LobbyhubMetrics metrics;
    private final LocalSeatStore seats = new LocalSeatStore();

    LocalSeating(ConnectionRegistry registry) {
        this.registry = registry;
        this.index = registry.index();
        this.fanOut = registry.fanOut();
        this.ledger = registry.ledger();
        this.metrics = registry.metrics();
    }

    /**
     * Admits the connection or says why not. On admission the newcomer gets {@code welcome}, the
     * lobby {@code member_joined}, and an older connection of the same user is closed
     * {@code replaced} (silently, when it was in the same lobby).
     */
    public Admission admit(Identity identity, String lobbyCode, String connectionId, Transport transport) {
        return admit(identity, lobbyCode, connectionId, transport, null);
    }

    /** As above, for a client that asked to recover what it missed ({@code resume}; null: it did not). */
    public Admission admit(Identity identity, String lobbyCode, String connectionId, Transport transport,
            Resume resume) {
        String userId = identity.userId();
        ConnectionRegistry.Settings settings = registry.settings();
        Session session = new Session(connectionId, userId, identity.name(), lobbyCode, transport, resume);
        Decision decision = new Decision(session);
        SeatStore.Seated seated;
        synchronized (index.lock()) {
            if (registry.isDraining()) {
                return new Admission.Rejected(CloseCode.SERVER_SHUTDOWN);
            }
            // The seat store decides duplicates too; asked here first because the contract puts a
            // duplicate user before the node's capacity, and a returning user takes no new place.
            Session old = index.findUser(userId);
            if (old != null && settings.onDuplicate() == OnDuplicate.REJECT) {
                return new Admission.Rejected(CloseCode.DUPLICATE_SESSION);
            }
            if (old == null && index.connectionCount() >= settings.maxConnections()) {
                return new Admission.Rejected(CloseCode.SERVER_FULL);
            }
            SeatStore.Claim claim = seats.claimNow(
                    new SeatStore.Seat(lobbyCode, userId, connectionId, THIS_NODE, identity.name()),
                    settings.maxPerLobby(), settings.onDuplicate(), decision);
            if (claim instanceof SeatStore.Refused refused) {
                return new Admission.Rejected(refused.code());
            }
            seated = (SeatStore.Seated) claim;
        }
        decision.announce();
        decision.countHold();
        if (decision.closeDisplaced) {
            decision.displaced.transport().close(CloseCode.REPLACED);
        }
        if (decision.displacedReason != null) {
            ledger.departed(decision.displaced, decision.displacedReason);
        }
        ledger.admitted(session, seated.members(), seated.state());
        return new Admission.Admitted(session);
    }

    @Override
    public void release(Session session, LeaveReason reason, boolean closedByServer) {
        long grace = registry.settings().reconnectGraceMs();
        Decision decision = new Decision(null);
        synchronized (index.lock()) {
            if (grace <= 0 || !reason.holdsSeat() || !seats.holdNow(session.connectionId(), reason, decision)) {
                seats.releaseNow(session.connectionId(), reason, decision);
            }
        }
        decision.announce();
        decision.countHold();
        if (decision.removed) {
            ledger.departed(session, reason);
        }
    }

    @Override
    public Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update) {
        return Uni.createFrom().item(() -> decide(decision -> seats.updateLobbyNow(lobby, by, update, decision)));
    }

    @Override
    public Uni<StateAnswer> updateMember(String lobby, String userId, String properties) {
        return Uni.createFrom().item(() -> decide(decision -> seats.updateMemberNow(lobby, userId, properties, decision)));
    }

    @Override
    public Uni<StateAnswer> kick(String lobby, String by, String userId) {
        return Uni.createFrom().item(() -> decide(decision -> seats.kickNow(lobby, by, userId, decision)));
    }

    @Override
    public Uni<StateAnswer> setOwner(String lobby, String userId) {
        return Uni.createFrom().item(() -> decide(decision -> seats.setOwnerNow(lobby, userId, decision)));
    }

    @Override
    public Uni<Optional<LobbyState>> state(String lobby) {
        LobbyState state = seats.stateNow(lobby);
        return state == null ? NO_STATE : Uni.createFrom().item(Optional.of(state));
    }

    @Override
    public Uni<Page> list(Query query, String afterCode, int limit) {
        return Uni.createFrom().item(() -> seats.listNow(query, afterCode, limit));
    }

    @Override
    public Uni<QuickJoin> quickJoin(String userId, Query query, NewLobby ifNone) {
        return Uni.createFrom().item(() -> seats.quickJoinNow(userId, query, ifNone, registry.reservationTtlMillis(),
                System.currentTimeMillis()));
    }

    @Override
    public Uni<PartyAnswer> reserve(String lobby, List<String> userIds) {
        return Uni.createFrom().item(() -> decide(decision -> seats.reserveNow(lobby, userIds,
                registry.reservationTtlMillis(), System.currentTimeMillis(), decision)));
    }

    @Override
    public Uni<LobbyState> create(NewLobby lobby) {
        return Uni.createFrom().item(() -> decide(decision -> seats.createNow(lobby, registry.reservationTtlMillis(),
                System.currentTimeMillis(), decision)));
    }

    @Override
    public Uni<Boolean> cancelReservation(String userId) {
        return Uni.createFrom().item(() -> cancelReservationNow(userId));
    }

    /** Ends the user's reservation here (silently; an owner's passes on); false when it holds none. */
    public boolean cancelReservationNow(String userId) {
        return decide(decision -> seats.cancelReservationNow(userId, decision));
    }

    /** Ends the reservations whose time ran out, silently (SPEC §13). */
    public void expireReservations(long nowMillis) {
        decide(decision -> seats.expireNow(nowMillis, decision));
    }

    /** One change of a lobby's state under the node's lock; the lobby hears it after, and a kicked connection is closed. */
    private <T> T decide(Function<Decision, T> change) {
        Decision decision = new Decision(null);
        T answer;
        synchronized (index.lock()) {
            answer = change.apply(decision);
        }
        decision.announce();
        decision.countHold();
        decision.closeKicked();
        return answer;
    }

    /** Ends the seats held longer than the grace: their lobbies hear {@code member_left} with the reason that made them away. */
    public void expireHolds(long nowMillis) {
        for (Session held : index.awaySessions()) {
            if (held.awayUntilMillis() <= nowMillis) {
                endHold(held, held.awayFor(), HoldOutcome.EXPIRED);
            }
        }
    }

    /** Frees the user's held seat at once ({@code member_left} with {@code reason}); false when it holds none here. */
    public boolean freeHold(String userId, LeaveReason reason) {
        Session held = index.findAway(userId);
        return held != null && endHold(held, reason, HoldOutcome.FREED);
    }

    private boolean endHold(Session held, LeaveReason reason, HoldOutcome outcome) {
        Decision decision = new Decision(null);
        decision.holdEnds = outcome;
        boolean ended;
        synchronized (index.lock()) {
            ended = index.findAway(held.userId()) == held && seats.releaseNow(held.connectionId(), reason, decision);
        }
        decision.announce();
        decision.countHold();
        return ended;
    }

    /**
     * One seat decision: applies its seat events to this node's sessions, under the node's lock
     * (the store calls it inside the decision), and keeps what is left to do after the lock.
     */
    private final class Decision implements SeatEvents {
        /** The session being admitted, or null for a release. */
        final Session admitted;
        final List<Lobby> told = new ArrayList<>(2);
        Session displaced;
        boolean closeDisplaced;
        LeaveReason displacedReason;
        boolean removed;
        /** A connection whose seat a kick freed, closed 4006 after the lock; {@code closeKicked}: this decision ends it. */
        Session kicked;
        boolean closeKicked;
        /** How a held seat this decision ends is counted: freed, unless it expired or its user came back. */
        HoldOutcome holdEnds = HoldOutcome.FREED;
        boolean holdEnded;

        Decision(Session admitted) {
            this.admitted = admitted;
        }

        @Override
        public void joined(String lobby, String userId, String connectionId, long sequence) {
            Lobby joined = index.addLocked(admitted, ServerMessages.memberJoined(userId), 0);
            told.add(joined);
        }

        @Override
        public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId,
                long sequence) {
            displace(index.findConnection(oldConnectionId), false);
            admitted.takesOverSeatOf(displaced);
            index.addLocked(admitted, null, 0);
        }

        @Override
        public void away(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            Session session = index.findConnection(connectionId);
            long grace = registry.settings().reconnectGraceMs();
            Lobby held = session == null ? null
                    : index.holdLocked(session, reason, System.currentTimeMillis() + grace);
            if (held != null) {
                removed = true;
                fanOut.awayLocked(held, userId, reason, grace);
                told.add(held);
            }
        }

        @Override
        public void back(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
            Session held = index.findAway(userId);
            if (held != null && held.connectionId().equals(oldConnectionId)) {
                index.unholdLocked(held, true);
                admitted.takesOverSeatOf(held);
                holdEnds = HoldOutcome.RETURNED;
                holdEnded = true;
            }
            told.add(index.addLocked(admitted, ServerMessages.memberBack(userId), 0));
        }

        @Override
        public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            Session session = index.findConnection(connectionId);
            if (session == null) {
                endHeld(userId, connectionId, reason);
                return;
            }
            if (admitted != null) {
                displace(session, true);
            } else if (session != null) {
                Lobby left = index.removeLocked(session);
                removed = left != null;
                if (removed) {
                    if (reason == LeaveReason.KICKED) {
                        kicked = session;
                        closeKicked = session.beginClose(CloseCode.KICKED);
                    }
                    fanOut.leftLocked(left, userId, reason);
                    told.add(left);
                }
            }
        }

        @Override
        public void stateChanged(String lobby, String frame, long sequence) {
            Lobby changed = index.lobby(lobby);
            if (changed != null) {
                changed.append(changed.members(), frame, null, null, 0);
                told.add(changed);
            }
        }

        /** After the lock: the connection a kick freed is closed 4006 and counted as gone. */
        void closeKicked() {
            if (kicked != null) {
                if (closeKicked) {
                    kicked.transport().close(CloseCode.KICKED);
                }
                ledger.departed(kicked, LeaveReason.KICKED);
            }
        }

        /** The user's older session gives its seat to the one being admitted; in the same lobby nobody is told. */
        private void displace(Session old, boolean tellLobby) {
            displaced = old;
            closeDisplaced = old.beginClose(CloseCode.REPLACED);
            CloseCode code = old.closeCode();
            LeaveReason reason = code == null ? LeaveReason.LEFT : code.leaveReason();
            Lobby left = index.removeLocked(old, !tellLobby);
            if (left != null) {
                displacedReason = reason;
                if (tellLobby) {
                    fanOut.leftLocked(left, old.userId(), reason);
                    told.add(left);
                }
            }
        }

        /** A held seat ends (the user went to another lobby, was kicked, or the grace ran out). */
        private void endHeld(String userId, String connectionId, LeaveReason reason) {
            Session held = index.findAway(userId);
            if (held == null || !held.connectionId().equals(connectionId)) {
                return;
            }
            Lobby left = index.unholdLocked(held, false);
            if (left != null) {
                holdEnded = true;
                fanOut.leftLocked(left, userId, reason);
                told.add(left);
            }
        }

        /** After the lock: counts the held seat this decision ended, if any. */
        void countHold() {
            if (holdEnded) {
                metrics.seatHold(holdEnds);
            }
        }

        /** After the lock: the lobbies hear what this decision changed. */
        void announce() {
            for (Lobby lobby : told) {
                fanOut.deliver(lobby);
            }
        }
    }
}
