package dev.lobbyhub.shutdown;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.CloseCode;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;

/**
 * On SIGTERM: readiness goes DOWN and new connections get 1012 at once (during Quarkus's shutdown
 * delay, so Kubernetes stops routing here first); then every open connection receives
 * {@code server_shutdown} with a jittered {@code reconnect_after_ms} and is closed 1012, the
 * closes spread evenly over {@code drain-period} so the reconnects do not land all at once.
 */
@ApplicationScoped
public class GracefulDrain {

    private static final Logger LOG = Logger.getLogger(GracefulDrain.class);
    /** Closes are made in this many steps over the drain period. */
    static final int STEPS = 50;
    /** The smallest reconnect hint, so clients never come back before this node stops listening. */
    static final long MIN_RECONNECT_MS = 1000;

    private final ConnectionRegistry registry;
    private final long drainNanos;

    GracefulDrain(ConnectionRegistry registry, LobbyhubConfig config) {
        this.registry = registry;
        this.drainNanos = config.shutdown().drainPeriod().toNanos();
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        registry.startDraining();
        LOG.info("shutdown: readiness down, refusing new connections");
    }

    void onShutdown(@Observes ShutdownEvent event) {
        registry.startDraining();
        List<Session> sessions = new ArrayList<>(registry.sessions());
        LOG.infof("shutdown: draining %d connections over %d ms", sessions.size(),
                TimeUnit.NANOSECONDS.toMillis(drainNanos));
        long started = System.nanoTime();
        int steps = Math.max(1, Math.min(STEPS, sessions.size()));
        for (int step = 0; step < steps; step++) {
            long due = started + drainNanos * step / steps;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            int from = sessions.size() * step / steps;
            int to = sessions.size() * (step + 1) / steps;
            for (Session session : sessions.subList(from, to)) {
                close(session);
            }
        }
        LOG.infof("shutdown: drained in %d ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private void close(Session session) {
        if (!session.isOpen()) {
            return;
        }
        long spread = Math.max(MIN_RECONNECT_MS, TimeUnit.NANOSECONDS.toMillis(drainNanos));
        long reconnectAfter = MIN_RECONNECT_MS + ThreadLocalRandom.current().nextLong(spread);
        session.send(ServerMessages.serverShutdown(reconnectAfter));
        registry.disconnect(session, CloseCode.SERVER_SHUTDOWN);
    }
}
