package dev.lobbyhub.registry;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;

/**
 * Who is connected to this node, in which lobby, and how a connection ends. The parts: the
 * {@link SessionIndex} (this node's sessions and counts), the {@link LobbyFanOut} (each lobby's
 * frames in the order of its {@link LobbyLog}), the {@link SessionLedger} (welcome, counters,
 * log) and the {@link Seating} that decides seats: {@link LocalSeating} on a single node, the
 * cluster's in cluster mode ({@link #useSeating}, at startup).
 *
 * <p>
 * Two roles decide who does the follow-up work of a close, so it is done exactly once: whoever
 * wins {@link Session#beginClose} closes the socket; whoever removes the session from the index
 * tells the lobby ({@code member_left}), counts and logs it.
 */
@Startup
@ApplicationScoped
public class ConnectionRegistry {

    /** What admission needs to know from the configuration. */
    public record Settings(int maxConnections, int maxPerLobby, OnDuplicate onDuplicate, long pingIntervalMs,
            long staleAfterMs, int maxMessageBytes, int historySize, long historyTtlMillis, long maxOutboundBytes,
            long reconnectGraceMs) {

        /** With the lobby log at its defaults (200 entries, 5 minutes, 1 MiB of replay) and no held seats. */
        public Settings(int maxConnections, int maxPerLobby, OnDuplicate onDuplicate, long pingIntervalMs,
                long staleAfterMs, int maxMessageBytes) {
            this(maxConnections, maxPerLobby, onDuplicate, pingIntervalMs, staleAfterMs, maxMessageBytes, 200, 300_000,
                    1_048_576, 0);
        }

        /** The same, with seats held for {@code reconnectGraceMs} (SPEC §10). */
        public Settings withReconnectGrace(long reconnectGraceMs) {
            return new Settings(maxConnections, maxPerLobby, onDuplicate, pingIntervalMs, staleAfterMs, maxMessageBytes,
                    historySize, historyTtlMillis, maxOutboundBytes, reconnectGraceMs);
        }

        static Settings from(LobbyhubConfig config) {
            return new Settings(config.limits().maxConnections(), config.limits().maxPerLobby(),
                    config.users().onDuplicate(), config.health().pingInterval().toMillis(),
                    config.health().staleAfter().toMillis(), config.limits().maxMessageBytes(),
                    config.recovery().historySize(), config.recovery().historyTtl().toMillis(),
                    config.limits().maxOutboundBytes(), config.users().reconnectGrace().toMillis());
        }

        LobbyLog.Settings log() {
            return new LobbyLog.Settings(historySize, historyTtlMillis, maxOutboundBytes);
        }
    }

    private final Settings settings;
    private final SessionIndex index;
    private final LobbyFanOut fanOut = new LobbyFanOut();
    /** The epoch of this node's lobby logs: new at every start, as the logs are (SPEC §11). */
    private final String epoch = newEpoch();
    private final SessionLedger ledger;
    private final LobbyhubMetrics metrics;
    private final LocalSeating local;
    private volatile Seating seating;
    private volatile LobbyStates lobbyStates;
    private final CheckedLobbyStates.Limits stateLimits;
    private volatile boolean draining;
    /** How long a reserved seat waits for its user (SPEC §13). */
    private long reservationTtlMillis = 15_000;
    private volatile LobbyDirectory directory;

    @Inject
    ConnectionRegistry(LobbyhubConfig config, LobbyhubMetrics metrics) {
        this(Settings.from(config), metrics, new CheckedLobbyStates.Limits(config.limits().maxPerLobby(),
                config.limits().maxLobbyPropertiesBytes(), config.limits().maxMemberPropertiesBytes()));
        this.reservationTtlMillis = config.users().reservationTtl().toMillis();
    }

    /** With the lobby state limits at their defaults (4096 and 1024 bytes of properties). */
    public ConnectionRegistry(Settings settings, LobbyhubMetrics metrics) {
        this(settings, metrics, new CheckedLobbyStates.Limits(settings.maxPerLobby(), 4096, 1024));
    }

    private ConnectionRegistry(Settings settings, LobbyhubMetrics metrics, CheckedLobbyStates.Limits stateLimits) {
        this.stateLimits = stateLimits;
        this.settings = settings;
        this.metrics = metrics;
        this.index = new SessionIndex(settings.log());
        this.ledger = new SessionLedger(settings, metrics, index, epoch);
        this.local = new LocalSeating(this);
        this.seating = local;
        this.lobbyStates = new CheckedLobbyStates(local, stateLimits);
        this.directory = local;
        metrics.gauges(index::connectionCount, index::lobbyCount);
        metrics.maxConnections(settings.maxConnections());
    }

    /** The lobbies' state (SPEC §12), kept where their seats are decided: on this node, or in the shared store. */
    public LobbyStates lobbyStates() {
        return lobbyStates;
    }

    /** The lobby directory and reservations (SPEC §13), kept where seats are decided. */
    public LobbyDirectory directory() {
        return directory;
    }

    long reservationTtlMillis() {
        return reservationTtlMillis;
    }

    /** Seats decided on this node alone: how a single node admits. */
    public LocalSeating localSeating() {
        return local;
    }

    /** Cluster mode, at startup before any connection: seats are decided by the shared store from now on. */
    public void useSeating(Seating shared) {
        this.seating = shared;
        this.directory = shared;
        this.lobbyStates = new CheckedLobbyStates(shared, stateLimits);
        // The cluster's log numbers each lobby's frames and keeps them; this node follows its offsets.
        index.keepLogs(settings.log().sharedInCluster());
    }

    /**
     * A {@code lobby_message} of a member for the lobby's other members on this node, in the
     * lobby's order; answers its offset in the lobby's log (0 with the log off) and how many got it.
     */
    public Posted toLobby(Session from, String frame) {
        return post(from.joinedLobby(), frame, from.userId());
    }

    /** A frame for the lobby's members on this node but {@code exceptUserId} (null: none), in the lobby's order. */
    public Posted toLobby(String lobbyCode, String frame, String exceptUserId) {
        return post(index.lobby(lobbyCode), frame, exceptUserId);
    }

    /** A frame for one member, in its lobby's order (a direct message). */
    public Posted toMember(Session member, String frame) {
        Lobby lobby = member.joinedLobby();
        if (lobby == null) {
            return Posted.NOWHERE;
        }
        Posted posted = fanOut.toMember(lobby, member, frame);
        fanOut.deliver(lobby);
        return posted;
    }

    private Posted post(Lobby lobby, String frame, String exceptUserId) {
        if (lobby == null) {
            return Posted.NOWHERE;
        }
        Posted posted = fanOut.toLobby(lobby, frame, exceptUserId);
        fanOut.deliver(lobby);
        return posted;
    }

    /**
     * An entry of the cluster's lobby log, at its offset, for this node's members it is meant for
     * ({@code only}: a direct message's user; {@code except}: the sender, null for none).
     */
    public Posted toLobbyAt(String lobbyCode, long offset, String frame, String only, String except) {
        Lobby lobby = index.lobby(lobbyCode);
        if (lobby == null) {
            return Posted.NOWHERE;
        }
        Posted posted = fanOut.atOffset(lobby, offset, frame, only, except);
        fanOut.deliver(lobby);
        return posted;
    }

    /** The cluster lost the lobby's log: it goes on in {@code epoch} after {@code offset}; members here hear {@code log_reset}. */
    public void logReset(String lobbyCode, String epoch, long offset) {
        Lobby lobby = index.lobby(lobbyCode);
        if (lobby == null) {
            return;
        }
        synchronized (lobby.log) {
            lobby.restartAt(offset);
            fanOut.toEveryone(lobby, ServerMessages.logReset(epoch, offset));
        }
        fanOut.deliver(lobby);
    }

    /** Entries {@code from} to {@code to} of the lobby's log could not be delivered: members here hear {@code gap}. */
    public void logGap(String lobbyCode, long from, long to) {
        Lobby lobby = index.lobby(lobbyCode);
        if (lobby == null) {
            return;
        }
        synchronized (lobby.log) {
            lobby.log.followTo(to);
            fanOut.toEveryone(lobby, ServerMessages.gap(from, to));
        }
        fanOut.deliver(lobby);
    }

    /** Whether frames carry offsets (the lobby log is on). */
    public boolean logOn() {
        return settings.historySize() > 0;
    }

    /** The epoch of this node's lobby logs. */
    public String epoch() {
        return epoch;
    }

    private static String newEpoch() {
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    /**
     * Closes an admitted connection from the server side with this code. Returns false when the
     * session was already closing or closed, in which case nothing happens.
     */
    public boolean disconnect(Session session, CloseCode code) {
        return disconnect(session, code, -1);
    }

    /** As {@link #disconnect(Session, CloseCode)}, the close reason followed by a retry hint (SPEC §14). */
    public boolean disconnect(Session session, CloseCode code, long hintMs) {
        if (!session.beginClose(code)) {
            return false;
        }
        session.transport().close(code, hintMs);
        seating.release(session, code.leaveReason(), true);
        return true;
    }

    /**
     * The socket closed (either side). When the client ended it, the lobby learns it {@code left}
     * when it sent a close frame with 1000 ({@code normalClose}), else that it {@code dropped}.
     */
    public void transportClosed(Session session, boolean normalClose) {
        if (session.markClosed() != Session.State.OPEN) {
            return;
        }
        seating.release(session, normalClose ? LeaveReason.LEFT : LeaveReason.DROPPED, false);
    }

    /** Refuses new connections from now on (they get 1012); open ones are left to the caller. */
    public void startDraining() {
        synchronized (index.lock()) {
            draining = true;
        }
    }

    /** Read under the index's lock by admission, so no connection is admitted once draining began. */
    public boolean isDraining() {
        return draining;
    }

    SessionIndex index() {
        return index;
    }

    LobbyFanOut fanOut() {
        return fanOut;
    }

    SessionLedger ledger() {
        return ledger;
    }

    LobbyhubMetrics metrics() {
        return metrics;
    }

    /** Once a second: seats held longer than {@code users.reconnect-grace} end (SPEC §10). */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void endExpiredHolds() {
        long now = System.currentTimeMillis();
        local.expireHolds(now);
        local.expireReservations(now);
    }

    /**
     * Whom a direct message to the user goes to here: its admitted connection, or, when the lobby
     * log keeps frames for it, its held seat (SPEC §10: it reads them when it comes back); null
     * when neither is here.
     */
    public Session findRecipient(String userId) {
        Session session = index.findUser(userId);
        return session != null || !logOn() ? session : index.findAway(userId);
    }

    /** The user's held seat on this node (its connection ended, SPEC §10), or null. */
    public Session findAway(String userId) {
        return index.findAway(userId);
    }

    /** Frees the user's held seat at once, its lobby told {@code reason}; false when it holds none here. */
    public boolean freeHold(String userId, LeaveReason reason) {
        return local.freeHold(userId, reason);
    }

    /** Ends the user's reservation on this node (an admin kick, SPEC §13); false when it holds none. */
    public boolean cancelReservation(String userId) {
        return local.cancelReservationNow(userId);
    }

    /** The away members of a lobby on this node. Do not modify. */
    public Session[] away(String lobbyCode) {
        return index.away(lobbyCode);
    }

    public Settings settings() {
        return settings;
    }

    /** The user's admitted connection on this node, or null. */
    public Session findUser(String userId) {
        return index.findUser(userId);
    }

    /** The members of a lobby, in joining order; an empty array when nobody is in it. Do not modify. */
    public Session[] members(String lobbyCode) {
        return index.members(lobbyCode);
    }

    /** A live view of every admitted session, weakly consistent: safe to iterate while others change it. */
    public Collection<Session> sessions() {
        return index.sessions();
    }

    /** Up to {@code limit} lobbies in code order, starting after {@code afterCode} (null: from the start). */
    public List<SessionIndex.LobbySummary> lobbies(String afterCode, int limit) {
        return index.lobbies(afterCode, limit);
    }

    public int connectionCount() {
        return index.connectionCount();
    }

    public int lobbyCount() {
        return index.lobbyCount();
    }
}
