package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.protocol.Utf8;
import io.smallrye.mutiny.Uni;

/**
 * Seats of this node in cluster mode, decided by the shared {@link SeatStore}. Admission first
 * {@link #reserve}s a place on this node, the seat is claimed in the store, and the session
 * enters this node's index when the store's stream of seat events ({@link #events}) reaches its
 * {@code joined} event, so every node tells its members of each change in the one order the store
 * committed them. Leaving works the same way: the seat is released in the store, and its
 * {@code left} event removes the session.
 *
 * <p>
 * When the store cannot be reached the node keeps its own books right: a session that closed is
 * removed here at once (its release is retried, {@link #takeUnreleased}), and this node's members
 * are not told its leave a second time when the store's event comes after all.
 */
public final class ClusterSeating implements Seating {

    private static final Logger LOG = Logger.getLogger(ClusterSeating.class);

    /** A connection with a place here, and the signal that its seat reached the index. */
    record Reserved(Session session, CompletableFuture<Void> seated) {
    }

    private final ConnectionRegistry registry;
    private final SessionIndex index;
    private final LobbyFanOut fanOut;
    private final SessionLedger ledger;
    private final SeatStore store;
    private final LogReader log;
    /** Connections with a place reserved here, waiting for their seat; written under the index's lock. */
    private final Map<String, Reserved> reserved = new ConcurrentHashMap<>();
    /** Seats whose release could not reach the store, by connection id, with the reason their lobby was told here. */
    private final Map<String, LeaveReason> unreleased = new ConcurrentHashMap<>();
    /**
     * Connections whose leaving this node's members were told already, with when
     * ({@link System#nanoTime}); their store event is not told twice. Forgotten after a while.
     */
    private final Map<String, Long> announcedHere = new ConcurrentHashMap<>();

    public ClusterSeating(ConnectionRegistry registry, SeatStore store) {
        this(registry, store, null);
    }

    /** {@code log}: reads the cluster's lobby log back for members coming back (null: no recovery). */
    public ClusterSeating(ConnectionRegistry registry, SeatStore store, LogReader log) {
        this.log = log;
        this.registry = registry;
        this.index = registry.index();
        this.fanOut = registry.fanOut();
        this.ledger = registry.ledger();
        this.store = store;
    }

    /** The listener the store's seat events must be fed to, in commit order, one event at a time. */
    public SeatEvents events() {
        return new SeatEventApplier(this, index, fanOut, ledger);
    }

    /**
     * Takes a place on this node for a connection whose seat is about to be claimed in the shared
     * store, or says why not (draining, {@code max-connections}). Places reserved count against
     * {@code max-connections} like admitted ones. Follow with {@link #whenSeated}, then
     * {@link #welcome}, or {@link #abandon} when the claim is refused or fails.
     */
    public Admission reserve(Identity identity, String lobbyCode, String connectionId, Transport transport) {
        return reserve(identity, lobbyCode, connectionId, transport, null);
    }

    /** As above, for a client that asked to recover what it missed ({@code resume}; null: it did not). */
    public Admission reserve(Identity identity, String lobbyCode, String connectionId, Transport transport,
            Resume resume) {
        Session session = new Session(connectionId, identity.userId(), identity.name(), lobbyCode, transport, resume);
        synchronized (index.lock()) {
            if (registry.isDraining()) {
                return new Admission.Rejected(CloseCode.SERVER_SHUTDOWN);
            }
            // A returning user's older connection here gives up its place (same rule as on one node).
            if (index.findUser(identity.userId()) == null
                    && index.connectionCount() + reserved.size() >= registry.settings().maxConnections()) {
                return new Admission.Rejected(CloseCode.SERVER_FULL);
            }
            reserved.put(connectionId, new Reserved(session, new CompletableFuture<>()));
        }
        return new Admission.Admitted(session);
    }

    /** Completes when the store's {@code joined} (or {@code replaced}) event put the session in the index. */
    public CompletionStage<Void> whenSeated(Session session) {
        synchronized (index.lock()) {
            Reserved place = reserved.get(session.connectionId());
            if (place != null) {
                return place.seated;
            }
            if (index.findConnection(session.connectionId()) == session) {
                return CompletableFuture.completedFuture(null);
            }
            CloseCode code = session.closeCode();
            if (code != null) {
                // Seated and displaced again before its claim's answer came back (a newer connection of its user).
                return CompletableFuture.failedFuture(new SeatLostException(code));
            }
            return CompletableFuture.failedFuture(new IllegalStateException("no place reserved for " + session));
        }
    }

    /** The seated session gets {@code welcome} with the lobby's members as of its seat change. */
    public void welcome(Session session, List<String> memberIds) {
        ledger.admitted(session, memberIds, List.of(), null, List.of(), null);
    }

    /**
     * The seated session gets {@code welcome} with the lobby's members as of its seat change and,
     * with the lobby log on, where it stands in the log; a member coming back with {@code since} and
     * {@code epoch} also gets what it missed, read back from the log (SPEC §11).
     */
    public CompletionStage<Void> welcome(Session session, SeatStore.Seated seated) {
        if (seated.holdEnded() != null) {
            registry.metrics().seatHold(seated.holdEnded() == SeatStore.HoldEnded.RETURNED
                    ? LobbyhubMetrics.HoldOutcome.RETURNED : LobbyhubMetrics.HoldOutcome.FREED);
        }
        if (!registry.logOn() || seated.epoch() == null) {
            ledger.admitted(session, seated.members(), seated.away(), null, List.of(), seated.state());
            return CompletableFuture.completedFuture(null);
        }
        long at = session.liveAfter();
        Resume resume = session.resume();
        if (resume == null || !mayRecover(session, seated, resume, at)) {
            ledger.admitted(session, seated.members(), seated.away(),
                    new ServerMessages.LogPosition(seated.epoch(), at, resume == null ? null : false), List.of(),
                    seated.state());
            return CompletableFuture.completedFuture(null);
        }
        return log.read(session.lobby(), resume.since(), at)
                .map(entries -> missed(entries, resume.since(), at, session.userId()))
                .onFailure().recoverWithItem(unreadable -> null)
                .invoke(missed -> ledger.admitted(session, seated.members(), seated.away(),
                        new ServerMessages.LogPosition(seated.epoch(), at, missed != null),
                        missed == null ? List.of() : missed, seated.state()))
                .replaceWithVoid().subscribeAsCompletionStage();
    }

    /** Only a member taking over its own seat recovers, from within that seat, and not more than the log keeps. */
    private boolean mayRecover(Session session, SeatStore.Seated seated, Resume resume, long at) {
        ConnectionRegistry.Settings settings = registry.settings();
        return log != null && seated.tookOverOwnSeat(session.lobby()) && resume.matches(seated.epoch())
                && resume.since() >= seated.seatAt() && resume.since() <= at
                && at - resume.since() <= settings.historySize();
    }

    /** The frames of {@code entries} meant for the user, when they are every entry after {@code since} up to {@code at} and fit in the outbound limit; else null. */
    private List<String> missed(List<LogEntry> entries, long since, long at, String userId) {
        if (entries.size() != at - since || !entries.isEmpty() && entries.get(0).offset() != since + 1) {
            return null;
        }
        List<String> frames = new ArrayList<>();
        long bytes = 0;
        for (LogEntry entry : entries) {
            if (entry.frame() != null && entry.meantFor(userId)) {
                bytes += Utf8.length(entry.frame());
                if (bytes > registry.settings().maxOutboundBytes()) {
                    return null;
                }
                frames.add(entry.frame());
            }
        }
        return frames;
    }

    @Override
    public Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update) {
        return states().updateLobby(lobby, by, update);
    }

    @Override
    public Uni<StateAnswer> updateMember(String lobby, String userId, String properties) {
        return states().updateMember(lobby, userId, properties);
    }

    /** The kicked member's node closes its connection when the store's {@code left kicked} event reaches it. */
    @Override
    public Uni<StateAnswer> kick(String lobby, String by, String userId) {
        return states().kick(lobby, by, userId);
    }

    @Override
    public Uni<StateAnswer> setOwner(String lobby, String userId) {
        return states().setOwner(lobby, userId);
    }

    @Override
    public Uni<Optional<LobbyState>> state(String lobby) {
        return states().state(lobby);
    }

    @Override
    public Uni<Page> list(Query query, String afterCode, int limit) {
        return directory().list(query, afterCode, limit);
    }

    @Override
    public Uni<QuickJoin> quickJoin(String userId, Query query, NewLobby ifNone) {
        return directory().quickJoin(userId, query, ifNone);
    }

    @Override
    public Uni<PartyAnswer> reserve(String lobby, List<String> userIds) {
        return directory().reserve(lobby, userIds);
    }

    @Override
    public Uni<LobbyState> create(NewLobby lobby) {
        return directory().create(lobby);
    }

    @Override
    public Uni<Boolean> cancelReservation(String userId) {
        return directory().cancelReservation(userId);
    }

    /** The shared store keeps the reservations beside the seats. */
    private LobbyDirectory directory() {
        if (store instanceof LobbyDirectory directory) {
            return directory;
        }
        throw new UnsupportedOperationException("this seat store keeps no reservations");
    }

    /** The shared store keeps the lobbies' state beside their seats. */
    private LobbyStates states() {
        if (store instanceof LobbyStates states) {
            return states;
        }
        throw new UnsupportedOperationException("this seat store keeps no lobby state");
    }

    /** Gives back the place of a connection that got no seat. */
    public void abandon(Session session) {
        synchronized (index.lock()) {
            reserved.remove(session.connectionId());
        }
    }

    @Override
    public void release(Session session, LeaveReason reason, boolean closedByServer) {
        if (closedByServer) {
            // After a message being relayed now from the connection's thread: its publish goes first.
            session.transport().afterInbound(() -> releaseInStore(session, reason));
        } else {
            releaseInStore(session, reason);
        }
    }

    /** How long a seat is held for its user's return (SPEC §10); 0: seats are not held. */
    long holdMillis() {
        return registry.settings().reconnectGraceMs();
    }

    /** How long a seat whose connection ended for {@code reason} is held: the grace, or 0 when the reason frees it. */
    public long holdFor(LeaveReason reason) {
        return reason.holdsSeat() ? holdMillis() : 0;
    }

    /**
     * Frees the seat in the shared store, or holds it for the user's return when the reason holds
     * seats (SPEC §10); its {@code left} (or {@code away}) event then removes the session here.
     * When the store cannot be reached, the session is removed here at once and only this node's
     * members are told (the release is tried again, {@link #takeUnreleased}).
     */
    private void releaseInStore(Session session, LeaveReason reason) {
        long hold = holdFor(reason);
        store.release(session.connectionId(), reason, hold).subscribe().with(freed -> {
        }, unreachable -> {
            LOG.debugf("release conn=%s failed, removed on this node only: %s", session.connectionId(), unreachable);
            // Tried again with the same hold: the store may even have held the seat already (only its answer
            // was late), and a second release must not free it.
            unreleased.put(session.connectionId(), reason);
            announcedHere.put(session.connectionId(), System.nanoTime());
            Lobby left;
            synchronized (index.lock()) {
                reserved.remove(session.connectionId());
                // What the store's event will say once the release gets through: away while the seat is held.
                left = hold > 0 ? removeAwayLocked(session, reason, 0) : removeAndTellLocked(session, reason);
            }
            afterRemoval(session, left, reason);
        });
    }

    /** The connection ids of this node's members of the lobby. */
    public Set<String> connectionsHere(String lobby) {
        Set<String> here = new HashSet<>();
        for (Session member : index.members(lobby)) {
            here.add(member.connectionId());
        }
        return here;
    }

    /**
     * A member of another node that left while the seat events were lost: its leave is told to
     * those of this node's members (by connection id) who knew it, in the lobby's order.
     */
    public void tellMissedLeave(String lobby, String userId, LeaveReason reason, Set<String> knewIt) {
        Lobby told;
        synchronized (index.lock()) {
            told = index.lobby(lobby);
            if (told != null) {
                fanOut.leftToSomeLocked(told, knewIt, userId, reason);
            }
        }
        fanOut.deliver(told);
    }

    /**
     * A change of the lobby's state that this node's members missed while the entries were lost (SPEC
     * §12): {@code frame} ({@code owner_changed}, {@code lobby_updated} or {@code member_updated}) goes
     * to every member here, in the lobby's order, outside the log.
     */
    public void tellMissedState(String lobby, String frame) {
        Lobby told;
        synchronized (index.lock()) {
            told = index.lobby(lobby);
            if (told != null) {
                fanOut.toEveryone(told, frame);
            }
        }
        fanOut.deliver(told);
    }

    /** Whether this node holds the connection (admitted, or its seat being claimed). */
    public boolean holds(String connectionId) {
        return index.findConnection(connectionId) != null || reserved.containsKey(connectionId);
    }

    /** The seats whose release did not reach the store, handed over (and forgotten) for another try. */
    public Map<String, LeaveReason> takeUnreleased() {
        Map<String, LeaveReason> taken = new HashMap<>();
        for (String connectionId : unreleased.keySet()) {
            LeaveReason reason = unreleased.remove(connectionId);
            if (reason != null) {
                taken.put(connectionId, reason);
            }
        }
        return taken;
    }

    /** Whether this node's members were told already that this connection left. */
    public boolean leaveToldHere(String connectionId) {
        return announcedHere.containsKey(connectionId);
    }

    /** Whether some seat's release did not reach the store yet. */
    public boolean hasUnreleased() {
        return !unreleased.isEmpty();
    }

    /** A seat whose release did not reach the store, to try again later. */
    public void releaseLater(String connectionId, LeaveReason reason) {
        unreleased.putIfAbsent(connectionId, reason);
    }

    /**
     * Removes the sessions that stopped being open more than {@code graceNanos} ago and are still
     * here because their seat event never arrived (the subscription died while they closed),
     * telling this node's members; the node's counts follow its sockets. Their seats are the
     * store's business: released, or retried ({@link #takeUnreleased}).
     */
    public void forgetClosed(long graceNanos) {
        long now = System.nanoTime();
        announcedHere.values().removeIf(at -> now - at > 60 * graceNanos);
        for (Session session : index.sessions()) {
            if (session.isOpen() || !session.endedBefore(now, graceNanos)) {
                continue;
            }
            CloseCode code = session.closeCode();
            LeaveReason reason = code == null ? LeaveReason.LEFT : code.leaveReason();
            Lobby left;
            synchronized (index.lock()) {
                if (holdFor(reason) > 0) {
                    // Its release held the seat: this node's members hear it is away, as the event would say.
                    left = removeAwayLocked(session, reason, 0);
                } else {
                    left = removeAndTellLocked(session, reason);
                }
            }
            if (left != null) {
                announcedHere.put(session.connectionId(), now);
                LOG.debugf("conn=%s closed and its seat event never came: removed here", session.connectionId());
            }
            afterRemoval(session, left, reason);
        }
    }

    /**
     * Closes a session whose seat could not be taken back after an outage (a newer connection of
     * its user, or a lobby filled meanwhile) and removes it here, telling this node's members; the
     * store holds no seat of it, so nothing else is announced.
     */
    public void dropHere(Session session, CloseCode code, LeaveReason reason) {
        if (session.beginClose(code)) {
            session.transport().close(code);
        }
        Lobby left;
        synchronized (index.lock()) {
            left = removeAndTellLocked(session, reason);
        }
        afterRemoval(session, left, reason);
    }

    /** Under the lock: the place reserved for this connection, taken (null when none). */
    Reserved takeReservedLocked(String connectionId) {
        return reserved.remove(connectionId);
    }

    /** Whether this node's members were told this connection's leave already; forgets it. */
    boolean forgetToldLeave(String connectionId) {
        return announcedHere.remove(connectionId) != null;
    }

    /** Under the lock: removes the session and queues its leave for the lobby; null when it was not indexed. */
    Lobby removeAndTellLocked(Session session, LeaveReason reason) {
        return removeAndTellLocked(session, reason, 0);
    }

    /** As {@link #removeAndTellLocked(Session, LeaveReason)}, for the change at {@code offset} of the cluster's log. */
    Lobby removeAndTellLocked(Session session, LeaveReason reason, long offset) {
        Lobby left = index.removeLocked(session);
        if (left != null) {
            fanOut.leftLocked(left, session.userId(), reason, offset);
        }
        return left;
    }

    /**
     * Under the lock: removes the session whose seat is held now and queues {@code member_away} for the
     * lobby, at {@code offset} of the cluster's log; null when it was not indexed.
     */
    Lobby removeAwayLocked(Session session, LeaveReason reason, long offset) {
        Lobby left = index.removeLocked(session);
        if (left != null) {
            fanOut.awayLocked(left, session.userId(), reason, holdMillis(), offset);
        }
        return left;
    }

    /** After the lock: the lobby hears the removal, which is counted and logged. */
    private void afterRemoval(Session session, Lobby left, LeaveReason reason) {
        if (left != null) {
            fanOut.deliver(left);
            ledger.departed(session, reason);
        }
    }
}
