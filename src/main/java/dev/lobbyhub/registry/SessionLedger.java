package dev.lobbyhub.registry;

import java.util.List;

import org.jboss.logging.Logger;

import dev.lobbyhub.logging.LogText;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.LeaveReason;
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

    SessionLedger(ConnectionRegistry.Settings settings, LobbyhubMetrics metrics, SessionIndex index) {
        this.settings = settings;
        this.metrics = metrics;
        this.index = index;
        this.capacityWarnings = new CapacityWarnings(settings.maxConnections());
    }

    /** The session took its seat: it gets {@code welcome} with the lobby's members as of that change. */
    void admitted(Session session, List<String> memberIds) {
        metrics.accepted();
        LOG.infof("connect user=%s lobby=%s conn=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId());
        capacityWarnings.onChange(index.connectionCount());
        session.sendWelcome(ServerMessages.welcome(session.connectionId(), session.userId(), session.lobby(), memberIds,
                settings.pingIntervalMs(), settings.staleAfterMs(), settings.maxMessageBytes()));
    }

    /** The session was removed from this node's indexes: count and log. */
    void departed(Session session, LeaveReason reason) {
        metrics.closed(reason);
        capacityWarnings.onChange(index.connectionCount());
        LOG.infof("close user=%s lobby=%s conn=%s reason=%s", LogText.escape(session.userId()), session.lobby(),
                session.connectionId(), reason.wire());
    }
}
