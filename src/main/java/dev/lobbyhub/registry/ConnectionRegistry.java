package dev.lobbyhub.registry;

import java.util.Collection;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import io.quarkus.runtime.Startup;

/**
 * Who is connected to this node, in which lobby, and how a connection ends. The parts: the
 * {@link SessionIndex} (this node's sessions and counts), the {@link PresenceAnnouncer} (the
 * lobby's {@code member_joined}/{@code member_left}), the {@link SessionLedger} (welcome, counters,
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
            long staleAfterMs, int maxMessageBytes) {

        static Settings from(LobbyhubConfig config) {
            return new Settings(config.limits().maxConnections(), config.limits().maxPerLobby(),
                    config.users().onDuplicate(), config.health().pingInterval().toMillis(),
                    config.health().staleAfter().toMillis(), config.limits().maxMessageBytes());
        }
    }

    private final Settings settings;
    private final SessionIndex index = new SessionIndex();
    private final PresenceAnnouncer announcer = new PresenceAnnouncer();
    private final SessionLedger ledger;
    private final LocalSeating local;
    private volatile Seating seating;
    private volatile boolean draining;

    @Inject
    ConnectionRegistry(LobbyhubConfig config, LobbyhubMetrics metrics) {
        this(Settings.from(config), metrics);
    }

    public ConnectionRegistry(Settings settings, LobbyhubMetrics metrics) {
        this.settings = settings;
        this.ledger = new SessionLedger(settings, metrics, index);
        this.local = new LocalSeating(this);
        this.seating = local;
        metrics.gauges(index::connectionCount, index::lobbyCount);
    }

    /** Seats decided on this node alone: how a single node admits. */
    public LocalSeating localSeating() {
        return local;
    }

    /** Cluster mode, at startup before any connection: seats are decided by the shared store from now on. */
    public void useSeating(Seating shared) {
        this.seating = shared;
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
        seating.release(session, code.leaveReason(), true);
        return true;
    }

    /** The socket closed (either side). When the client closed it, the lobby learns it {@code left}. */
    public void transportClosed(Session session) {
        if (session.markClosed() != Session.State.OPEN) {
            return;
        }
        seating.release(session, LeaveReason.LEFT, false);
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

    PresenceAnnouncer announcer() {
        return announcer;
    }

    SessionLedger ledger() {
        return ledger;
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
