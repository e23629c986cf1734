package dev.lobbyhub.registry;

import java.util.Arrays;
import java.util.List;

import org.jboss.logging.Logger;

import dev.lobbyhub.logging.LogText;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;

/**
 * What follows an admission or a removal on this node, outside the lock: the newcomer's
 * {@code welcome}, the counters, the capacity warnings and the log line.
 */
final class SessionLedger {

    private static final Logger LOG = Logger.getLogger(SessionLedger.class);

    private final ConnectionRegistry.Settings settings;
    private final LobbyhubMetrics metrics;
    private final SessionIndex index;
    private final CapacityWarnings capacityWarnings;
    private final String epoch;

    SessionLedger(ConnectionRegistry.Settings settings, LobbyhubMetrics metrics, SessionIndex index, String epoch) {
        this.settings = settings;
        this.epoch = epoch;
        this.metrics = metrics;
        this.index = index;
        this.capacityWarnings = new CapacityWarnings(settings.maxConnections());
    }

    /**
     * The session took its seat: it gets {@code welcome} with the lobby's members as of that change,
     * then what it missed when it came back asking for it (SPEC §11).
     */
    void admitted(Session session, List<String> memberIds, LobbyState state) {
        metrics.accepted();
        LOG.infof("connect user=%s lobby=%s conn=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId());
        capacityWarnings.onChange(index.connectionCount());
        Lobby lobby = session.joinedLobby();
        List<String> away = Arrays.stream(lobby.away()).map(Session::userId).toList();
        LobbyLog log = lobby.log;
        if (!log.on()) {
            session.sendWelcome(ServerMessages.welcome(session.connectionId(), session.userId(), session.lobby(),
                    memberIds, settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes(), away,
                    settings.reconnectGraceMs(), null, state), List.of());
            return;
        }
        List<String> missed = missed(session, log);
        Resume resume = session.resume();
        Boolean recovered = resume == null ? null : missed != null;
        if (recovered != null) {
            metrics.recovery(recovered);
        }
        session.sendWelcome(ServerMessages.welcome(session.connectionId(), session.userId(), session.lobby(), memberIds,
                settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes(), away,
                settings.reconnectGraceMs(), new ServerMessages.LogPosition(epoch, session.liveAfter(), recovered),
                state), missed == null ? List.of() : missed);
    }

    /**
     * As {@link #admitted(Session, List, LobbyState)}, where the cluster's seats said who is away and its log
     * where it stands ({@code position}; null with the log off) and what it missed.
     */
    void admitted(Session session, List<String> memberIds, List<String> away, ServerMessages.LogPosition position,
            List<String> missed, LobbyState state) {
        metrics.accepted();
        LOG.infof("connect user=%s lobby=%s conn=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId());
        capacityWarnings.onChange(index.connectionCount());
        if (position != null && position.recovered() != null) {
            metrics.recovery(position.recovered());
        }
        session.sendWelcome(ServerMessages.welcome(session.connectionId(), session.userId(), session.lobby(), memberIds,
                settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes(), away,
                settings.reconnectGraceMs(), position, state),
                missed);
    }

    /**
     * The entries a member coming back missed, meant for it, from where its client left the log up
     * to where the session hears live; null when it cannot have them: it did not ask, it takes a new
     * seat (only a member coming back recovers, and never from before its seat began), or the log
     * no longer holds them all.
     */
    private List<String> missed(Session session, LobbyLog log) {
        Resume resume = session.resume();
        if (resume == null || !session.returning() || !resume.matches(epoch) || resume.since() < session.seatStart()) {
            return null;
        }
        return log.missed(resume.since(), session.liveAfter(), session.userId(), System.currentTimeMillis());
    }

    /** The session was removed from this node's indexes: count and log. */
    void departed(Session session, LeaveReason reason) {
        metrics.closed(reason);
        capacityWarnings.onChange(index.connectionCount());
        LOG.infof("close user=%s lobby=%s conn=%s reason=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId(), reason.wire());
    }
}
