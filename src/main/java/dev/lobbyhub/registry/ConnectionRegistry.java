package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.cluster.SeatEvents;
import dev.lobbyhub.cluster.SeatStore;
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
     * Closes an admitted connection from the server side with this code. Returns false when the
     * session was already closing or closed, in which case nothing happens.
     */
    public boolean disconnect(Session session, CloseCode code) {
        if (!session.beginClose(code)) {
            return false;
        }
        session.transport().close(code);
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

    /** Book-keeping after a removal: count and log. */
    private void departed(Session session, LeaveReason reason) {
        metrics.closed(reason);
        capacityWarnings.onChange(connectionCount);
        LOG.infof("close user=%s lobby=%s conn=%s reason=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId(), reason.wire());
    }
}
