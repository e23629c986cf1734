package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.logging.LogText;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;
import io.quarkus.runtime.Startup;

/**
 * Who is connected to this node, in which lobby. Admission, replacement and removal each happen in
 * one short critical section (map updates only, no I/O), so limits hold under any burst and the
 * user and lobby indexes always agree. Reads (fan-out, lookups, counts) take no lock.
 *
 * <p>
 * The seat rules (lobby capacity, one connection per user) are the {@link LocalSeatStore}'s: the
 * registry asks it inside the critical section, and applies the seat events it answers with
 * (joined, left, replaced) to this node's sessions, telling each lobby as they come. The node's own
 * rules (draining, {@code max-connections}) stay here.
 *
 * <p>
 * In cluster mode ({@link #joinCluster}) the seat store is shared and answers later: admission
 * first {@link #reserve}s a place on this node, the seat is claimed in the store, and the session
 * enters the indexes when the store's stream of seat events reaches its {@code joined} event, so
 * every node tells its members of each change in the one order the store committed them. Leaving
 * works the same way: the seat is released in the store, and its {@code left} event removes it.
 *
 * <p>
 * Two roles decide who does the follow-up work of a close, so it is done exactly once: whoever
 * wins {@link Session#beginClose} closes the socket; whoever removes the session from the indexes
 * tells the lobby ({@code member_left}), counts and logs it.
 */
@Startup
@ApplicationScoped
public class ConnectionRegistry {

    private static final Logger LOG = Logger.getLogger(ConnectionRegistry.class);
    /** The node id in seats of a single node: nobody else reads it. */
    private static final String THIS_NODE = "this-node";

    /** What admission needs to know from the configuration. */
    public record Settings(int maxConnections, int maxPerLobby, OnDuplicate onDuplicate, long pingIntervalMs,
            long staleAfterMs, int maxMessageBytes) {

        static Settings from(LobbyhubConfig config) {
            return new Settings(config.limits().maxConnections(), config.limits().maxPerLobby(),
                    config.users().onDuplicate(), config.health().pingInterval().toMillis(),
                    config.health().staleAfter().toMillis(), config.limits().maxMessageBytes());
        }
    }

    /** One line of the lobby list. */
    public record LobbySummary(String code, int memberCount) {
    }

    private final Settings settings;
    private final LobbyhubMetrics metrics;
    private final CapacityWarnings capacityWarnings;
    private final Object lock = new Object();
    private final Map<String, Session> byUser = new ConcurrentHashMap<>();
    /** Admitted sessions by connection id, for the seat events; written under the lock. */
    private final Map<String, Session> byConnection = new ConcurrentHashMap<>();
    /** This node's seats: the rules of admission (lobby capacity, one connection per user). */
    private final LocalSeatStore seats = new LocalSeatStore(new Applier());
    /** The seat decision under way, under the lock; its events record what they did here. */
    private Change current;
    /** Cluster mode: the shared seat store; null on a single node. */
    private volatile SeatStore sharedSeats;
    /** Cluster mode: connections with a place reserved here, waiting for their seat; written under the lock. */
    private final Map<String, Reserved> reserved = new ConcurrentHashMap<>();
    /**
     * Cluster mode: seats whose release could not reach the store, by connection id, with the reason
     * their lobby was told here; released again when the store is back.
     */
    private final Map<String, LeaveReason> unreleased = new ConcurrentHashMap<>();
    /**
     * Cluster mode: connections whose leaving this node's members were told already, with when
     * ({@link System#nanoTime}); their store event is not told twice. Forgotten after a while.
     */
    private final Map<String, Long> announcedHere = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, Lobby> lobbies = new ConcurrentSkipListMap<>();
    /** Admitted sessions still in the indexes; written under the lock. */
    private volatile int connectionCount;
    /** Lobbies with at least one member; written under the lock. */
    private volatile int lobbyCount;
    private volatile boolean draining;

    @Inject
    ConnectionRegistry(LobbyhubConfig config, LobbyhubMetrics metrics) {
        this(Settings.from(config), metrics);
    }

    public ConnectionRegistry(Settings settings, LobbyhubMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
        this.capacityWarnings = new CapacityWarnings(settings.maxConnections());
        metrics.gauges(this::connectionCount, this::lobbyCount);
    }

    /**
     * Admits the connection or says why not. On admission the newcomer gets {@code welcome}, the
     * lobby {@code member_joined}, and an older connection of the same user is closed
     * {@code replaced} (silently, when it was in the same lobby).
     */
    public Admission admit(Identity identity, String lobbyCode, String connectionId, Transport transport) {
        String userId = identity.userId();
        Session session = new Session(connectionId, userId, identity.name(), lobbyCode, transport);
        Change change = new Change(session);
        List<String> memberIds;
        int count;
        synchronized (lock) {
            if (draining) {
                return new Admission.Rejected(CloseCode.SERVER_SHUTDOWN);
            }
            // The seat store decides duplicates too; asked here first because the contract puts a
            // duplicate user before the node's capacity, and a returning user takes no new place.
            Session old = byUser.get(userId);
            if (old != null && settings.onDuplicate() == OnDuplicate.REJECT) {
                return new Admission.Rejected(CloseCode.DUPLICATE_SESSION);
            }
            if (old == null && connectionCount >= settings.maxConnections()) {
                return new Admission.Rejected(CloseCode.SERVER_FULL);
            }
            SeatStore.Claim claim = decide(change, () -> seats.claimNow(
                    new SeatStore.Seat(lobbyCode, userId, connectionId, THIS_NODE, identity.name()),
                    settings.maxPerLobby(), settings.onDuplicate()));
            if (claim instanceof SeatStore.Refused refused) {
                return new Admission.Rejected(refused.code());
            }
            memberIds = ((SeatStore.Seated) claim).members();
            count = connectionCount;
        }
        metrics.accepted();
        LOG.infof("connect user=%s lobby=%s conn=%s", LogText.escape(userId), lobbyCode, connectionId);
        capacityWarnings.onChange(count);
        if (change.closeDisplaced) {
            change.displaced.transport().close(CloseCode.REPLACED);
        }
        if (change.displacedReason != null) {
            departed(change.displaced, change.displacedReason);
        }
        session.sendWelcome(ServerMessages.welcome(connectionId, userId, lobbyCode, memberIds,
                settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes()));
        return new Admission.Admitted(session);
    }

    /**
     * Cluster mode: takes a place on this node for a connection whose seat is about to be claimed in
     * the shared store, or says why not (draining, {@code max-connections}). Places reserved count
     * against {@code max-connections} like admitted ones. Follow with {@link #whenSeated}, then
     * {@link #welcome}, or {@link #abandon} when the claim is refused or fails.
     */
    public Admission reserve(Identity identity, String lobbyCode, String connectionId, Transport transport) {
        Session session = new Session(connectionId, identity.userId(), identity.name(), lobbyCode, transport);
        synchronized (lock) {
            if (draining) {
                return new Admission.Rejected(CloseCode.SERVER_SHUTDOWN);
            }
            // A returning user's older connection here gives up its place (same rule as on one node).
            if (!byUser.containsKey(identity.userId()) && connectionCount + reserved.size() >= settings.maxConnections()) {
                return new Admission.Rejected(CloseCode.SERVER_FULL);
            }
            reserved.put(connectionId, new Reserved(session, new CompletableFuture<>()));
        }
        return new Admission.Admitted(session);
    }

    /** Cluster mode: completes when the store's {@code joined} (or {@code replaced}) event put the session in the indexes. */
    public CompletionStage<Void> whenSeated(Session session) {
        synchronized (lock) {
            Reserved place = reserved.get(session.connectionId());
            if (place != null) {
                return place.seated;
            }
            if (byConnection.get(session.connectionId()) == session) {
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

    /** Cluster mode: the seated session gets {@code welcome} with the lobby's members as of its seat change. */
    public void welcome(Session session, List<String> memberIds) {
        metrics.accepted();
        LOG.infof("connect user=%s lobby=%s conn=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId());
        capacityWarnings.onChange(connectionCount);
        session.sendWelcome(ServerMessages.welcome(session.connectionId(), session.userId(), session.lobby(), memberIds,
                settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes()));
    }

    /** Cluster mode: gives back the place of a connection that got no seat. */
    public void abandon(Session session) {
        synchronized (lock) {
            reserved.remove(session.connectionId());
        }
    }

    /**
     * Switches this registry to a shared seat store (cluster mode, at startup, before any
     * connection). Answers the listener that the store's stream of seat events must be fed to, in
     * commit order, one event at a time.
     */
    public SeatEvents joinCluster(SeatStore store) {
        this.sharedSeats = store;
        return new StreamApplier();
    }

    /**
     * Closes an admitted connection from the server side with this code. Returns false when the
     * session was already closing or closed, in which case nothing happens.
     */
    public boolean disconnect(Session session, CloseCode code) {
        if (!session.beginClose(code)) {
            return false;
        }
        session.transport().close(code);
        if (sharedSeats != null) {
            // After a message being relayed now from the connection's thread: its publish goes first.
            session.transport().afterInbound(() -> releaseShared(session, code.leaveReason()));
            return true;
        }
        boolean removed;
        synchronized (lock) {
            removed = releaseLocked(session, code.leaveReason());
        }
        if (removed) {
            departed(session, code.leaveReason());
        }
        return true;
    }

    /** The socket closed (either side). When the client closed it, the lobby learns it {@code left}. */
    public void transportClosed(Session session) {
        if (session.markClosed() != Session.State.OPEN) {
            return;
        }
        if (sharedSeats != null) {
            releaseShared(session, LeaveReason.LEFT);
            return;
        }
        boolean removed;
        synchronized (lock) {
            removed = releaseLocked(session, LeaveReason.LEFT);
        }
        if (removed) {
            departed(session, LeaveReason.LEFT);
        }
    }

    /** Refuses new connections from now on (they get 1012); open ones are left to the caller. */
    public void startDraining() {
        synchronized (lock) {
            draining = true;
        }
    }

    public boolean isDraining() {
        return draining;
    }

    /** The user's admitted connection on this node, or null. */
    public Session findUser(String userId) {
        return byUser.get(userId);
    }

    /** The members of a lobby, in joining order; an empty array when nobody is in it. Do not modify. */
    public Session[] members(String lobbyCode) {
        Lobby lobby = lobbies.get(lobbyCode);
        return lobby == null ? new Session[0] : lobby.members();
    }

    /** A live view of every admitted session, weakly consistent: safe to iterate while others change it. */
    public Collection<Session> sessions() {
        return Collections.unmodifiableCollection(byUser.values());
    }

    /** Up to {@code limit} lobbies in code order, starting after {@code afterCode} (null: from the start). */
    public List<LobbySummary> lobbies(String afterCode, int limit) {
        Map<String, Lobby> view = afterCode == null ? lobbies : lobbies.tailMap(afterCode, false);
        List<LobbySummary> page = new ArrayList<>(Math.min(limit, 256));
        for (Lobby lobby : view.values()) {
            if (page.size() == limit) {
                break;
            }
            int size = lobby.size();
            if (size > 0) {
                page.add(new LobbySummary(lobby.code, size));
            }
        }
        return page;
    }

    public int connectionCount() {
        return connectionCount;
    }

    public int lobbyCount() {
        return lobbyCount;
    }

    public Settings settings() {
        return settings;
    }

    /** Hands one finished frame to each member but {@code except} (may be null). */
    private static void broadcastExcept(Session[] members, Session except, String text) {
        for (Session member : members) {
            if (member != except) {
                member.send(text);
            }
        }
    }

    /** Hands one finished frame to each member; the same text for all of them. */
    private static void broadcast(Session[] members, String text) {
        for (Session member : members) {
            member.send(text);
        }
    }

    /**
     * Removes exactly this session from every index and, unless {@code tell} is null, tells the
     * remaining members it left. False when it was not indexed (someone else removed it).
     */
    private boolean unindexLocked(Session session, LeaveReason tell) {
        if (!byUser.remove(session.userId(), session)) {
            return false;
        }
        byConnection.remove(session.connectionId());
        Lobby lobby = lobbies.get(session.lobby());
        lobby.remove(session);
        if (lobby.size() == 0) {
            lobbies.remove(session.lobby());
            lobbyCount--;
        }
        connectionCount--;
        if (tell != null) {
            broadcast(lobby.members(), ServerMessages.memberLeft(session.userId(), tell.wire()));
        }
        return true;
    }

    /** Frees the session's seat; true when this removed it from the indexes (it was not displaced before). */
    private boolean releaseLocked(Session session, LeaveReason reason) {
        Change change = new Change(null);
        decide(change, () -> seats.releaseNow(session.connectionId(), reason));
        return change.unindexed;
    }

    /** Runs a seat decision with {@code change} receiving its seat events. Under the lock. */
    private <T> T decide(Change change, java.util.function.Supplier<T> decision) {
        current = change;
        try {
            return decision.get();
        } finally {
            current = null;
        }
    }

    /** Adds an admitted session to the indexes; tells the lobby unless it only took over its own user's seat. */
    private void indexLocked(Session session, boolean tellLobby) {
        Lobby lobby = lobbies.get(session.lobby());
        if (lobby == null) {
            lobby = new Lobby(session.lobby());
            lobbies.put(session.lobby(), lobby);
            lobbyCount++;
        }
        Session[] others = lobby.members();
        session.joined(lobby);
        lobby.add(session);
        byUser.put(session.userId(), session);
        byConnection.put(session.connectionId(), session);
        connectionCount++;
        if (tellLobby) {
            // Under the lock, so that join and leave reach every member in the order they happened.
            broadcast(others, ServerMessages.memberJoined(session.userId()));
        }
    }

    /** The user's older session gives its seat to the one being admitted; in the same lobby nobody is told. */
    private void displaceLocked(Change change, Session old, boolean sameLobby) {
        change.displaced = old;
        change.closeDisplaced = old.beginClose(CloseCode.REPLACED);
        CloseCode code = old.closeCode();
        LeaveReason reason = code == null ? LeaveReason.LEFT : code.leaveReason();
        change.displacedReason = unindexLocked(old, sameLobby ? null : reason) ? reason : null;
    }

    /**
     * Applies this node's seat changes to its sessions, as the seat store commits them, under the
     * registry's lock (held around every seat decision).
     */
    private final class Applier implements SeatEvents {

        @Override
        public void joined(String lobby, String userId, String connectionId, long sequence) {
            indexLocked(current.admitted, true);
        }

        @Override
        public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId,
                long sequence) {
            displaceLocked(current, byConnection.get(oldConnectionId), true);
            indexLocked(current.admitted, false);
        }

        @Override
        public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            Session session = byConnection.get(connectionId);
            if (current.admitted != null) {
                displaceLocked(current, session, false);
            } else {
                current.unindexed = session != null && unindexLocked(session, reason);
            }
        }
    }

    /** What one seat decision did, for the work done after the lock. */
    private static final class Change {
        /** The session being admitted, or null for a release. */
        final Session admitted;
        Session displaced;
        boolean closeDisplaced;
        LeaveReason displacedReason;
        boolean unindexed;

        Change(Session admitted) {
            this.admitted = admitted;
        }
    }

    /**
     * Cluster mode: frees the seat in the shared store; its {@code left} event then removes the
     * session here. When the store cannot be reached, the session is removed here at once and only
     * this node's members are told (the seat is left to the store's own clean-up).
     */
    private void releaseShared(Session session, LeaveReason reason) {
        sharedSeats.release(session.connectionId(), reason).subscribe().with(freed -> {
        }, unreachable -> {
            LOG.debugf("release conn=%s failed, removed on this node only: %s", session.connectionId(), unreachable);
            unreleased.put(session.connectionId(), reason);
            announcedHere.put(session.connectionId(), System.nanoTime());
            boolean removed;
            synchronized (lock) {
                reserved.remove(session.connectionId());
                removed = unindexLocked(session, reason);
            }
            if (removed) {
                departed(session, reason);
            }
        });
    }

    /** Cluster mode: whether this node holds the connection (admitted, or its seat being claimed). */
    public boolean holds(String connectionId) {
        return byConnection.containsKey(connectionId) || reserved.containsKey(connectionId);
    }

    /** Cluster mode: the seats whose release did not reach the store, handed over (and forgotten) for another try. */
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

    /** Cluster mode: whether this node's members were told already that this connection left. */
    public boolean leaveToldHere(String connectionId) {
        return announcedHere.containsKey(connectionId);
    }

    /** Cluster mode: whether some seat's release did not reach the store yet. */
    public boolean hasUnreleased() {
        return !unreleased.isEmpty();
    }

    /** Cluster mode: a seat whose release did not reach the store, to try again later. */
    public void releaseLater(String connectionId, LeaveReason reason) {
        unreleased.putIfAbsent(connectionId, reason);
    }

    /**
     * Cluster mode: removes the sessions that stopped being open more than {@code graceNanos} ago
     * and are still here because their seat event never arrived (the subscription died while they
     * closed), telling this node's members; the node's counts follow its sockets. Their seats are
     * the store's business: released, or retried ({@link #takeUnreleased}).
     */
    public void forgetClosed(long graceNanos) {
        long now = System.nanoTime();
        announcedHere.values().removeIf(at -> now - at > 60 * graceNanos);
        for (Session session : byConnection.values()) {
            if (session.isOpen() || !session.endedBefore(now, graceNanos)) {
                continue;
            }
            CloseCode code = session.closeCode();
            LeaveReason reason = code == null ? LeaveReason.LEFT : code.leaveReason();
            boolean removed;
            synchronized (lock) {
                removed = unindexLocked(session, reason);
            }
            if (removed) {
                announcedHere.put(session.connectionId(), now);
                LOG.debugf("conn=%s closed and its seat event never came: removed here", session.connectionId());
                departed(session, reason);
            }
        }
    }

    /**
     * Cluster mode: closes a session whose seat could not be taken back after an outage (a newer
     * connection of its user, or a lobby filled meanwhile) and removes it here, telling this
     * node's members; the store holds no seat of it, so nothing else is announced.
     */
    public void dropHere(Session session, CloseCode code, LeaveReason reason) {
        if (session.beginClose(code)) {
            session.transport().close(code);
        }
        boolean removed;
        synchronized (lock) {
            removed = unindexLocked(session, reason);
        }
        if (removed) {
            departed(session, reason);
        }
    }

    /** Cluster mode: a connection with a place here, and the signal that its seat reached the indexes. */
    private record Reserved(Session session, CompletableFuture<Void> seated) {
    }

    /**
     * Cluster mode: applies the shared store's seat events, as they arrive in commit order, to this
     * node's sessions. A change of a session of this node updates the indexes; any change tells
     * this node's members of the lobby, under the lock, so each of them hears the changes in that
     * order.
     */
    private final class StreamApplier implements SeatEvents {

        @Override
        public void joined(String lobby, String userId, String connectionId, long sequence) {
            Reserved place;
            synchronized (lock) {
                place = reserved.remove(connectionId);
                if (place != null) {
                    indexLocked(place.session, true);
                } else {
                    // Another node's member, or one of ours taking its seat back after an outage.
                    broadcastExcept(members(lobby), byConnection.get(connectionId), ServerMessages.memberJoined(userId));
                }
            }
            if (place != null) {
                place.seated.complete(null);
            }
        }

        @Override
        public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
            Session session;
            boolean removed;
            synchronized (lock) {
                session = byConnection.get(connectionId);
                if (session == null) {
                    if (announcedHere.remove(connectionId) == null) {
                        broadcast(members(lobby), ServerMessages.memberLeft(userId, reason.wire()));
                    }
                    return;
                }
                if (reason == LeaveReason.NODE_LOST && session.isOpen()) {
                    // This node was taken for dead while it paused: the cluster saw the member leave,
                    // so this node's members hear it too; the connection stays open and takes its
                    // seat back when the node registers again (a joined event follows).
                    broadcastExcept(members(lobby), session, ServerMessages.memberLeft(userId, reason.wire()));
                    return;
                }
                removed = unindexLocked(session, reason);
            }
            if (removed) {
                closeFreed(session, reason);
                departed(session, reason);
            }
        }

        @Override
        public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId,
                long sequence) {
            Session old;
            Reserved place;
            synchronized (lock) {
                old = byConnection.get(oldConnectionId);
                if (old != null && !unindexLocked(old, null)) {
                    old = null;
                }
                place = reserved.remove(newConnectionId);
                if (place != null) {
                    indexLocked(place.session, false);
                }
            }
            if (old != null) {
                closeFreed(old, LeaveReason.REPLACED);
                departed(old, LeaveReason.REPLACED);
            }
            if (place != null) {
                place.seated.complete(null);
            }
        }

        /** A session whose seat was taken from it (a newer connection, or its node's lease lost) is closed. */
        private void closeFreed(Session session, LeaveReason reason) {
            CloseCode code = reason == LeaveReason.REPLACED ? CloseCode.REPLACED : CloseCode.BACKPLANE_UNAVAILABLE;
            if (session.beginClose(code)) {
                session.transport().close(code);
            }
        }
    }

    /** Book-keeping after a removal: count and log. */
    private void departed(Session session, LeaveReason reason) {
        metrics.closed(reason);
        capacityWarnings.onChange(connectionCount);
        LOG.infof("close user=%s lobby=%s conn=%s reason=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId(), reason.wire());
    }
}
