package dev.lobbyhub.shutdown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;

/**
 * On SIGTERM: readiness goes DOWN and new connections get 1012 at once; every open connection
 * then receives {@code server_shutdown} with a jittered {@code reconnect_after_ms} and is closed
 * 1012, the closes spread evenly over {@code drain-period} so reconnects do not land all at once.
 *
 * <p>
 * Timing: Quarkus's {@code quarkus.shutdown.delay} is the time from SIGTERM until the HTTP layer
 * stops. The drain is placed at the end of it, so that for {@code delay - drain-period} routers
 * see readiness DOWN before any client is asked to leave. Without a delay the drain runs at
 * shutdown, over {@code drain-period}.
 */
@ApplicationScoped
public class GracefulDrain {

    private static final Logger LOG = Logger.getLogger(GracefulDrain.class);
    /** Closes are made in at most this many steps. */
    static final int STEPS = 50;
    /** The smallest reconnect hint, so clients never come back before this node stops listening. */
    static final long MIN_RECONNECT_MS = 1000;
    /** Room left at the end of the shutdown delay, so the last close frames are written before the HTTP layer stops. */
    static final long SAFETY_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

    private final ConnectionRegistry registry;
    private final long drainNanos;
    private volatile Thread drainer;

    GracefulDrain(ConnectionRegistry registry, LobbyhubConfig config) {
        this.registry = registry;
        this.drainNanos = config.shutdown().drainPeriod().toNanos();
    }

    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        registry.startDraining();
        long delayNanos = ConfigProvider.getConfig().getOptionalValue("quarkus.shutdown.delay", Duration.class)
                .orElse(Duration.ZERO).toNanos();
        long period = Math.max(0, Math.min(drainNanos, delayNanos - SAFETY_NANOS));
        long lead = Math.max(0, delayNanos - SAFETY_NANOS - period);
        LOG.infof("shutdown: readiness down, refusing new connections; draining in %d ms over %d ms",
                TimeUnit.NANOSECONDS.toMillis(lead), TimeUnit.NANOSECONDS.toMillis(period));
        Thread thread = new Thread(() -> {
            LockSupport.parkNanos(lead);
            drain(period);
        }, "lobbyhub-drain");
        thread.setDaemon(true);
        drainer = thread;
        thread.start();
    }

    void onShutdown(@Observes ShutdownEvent event) throws InterruptedException {
        registry.startDraining();
        Thread thread = drainer;
        if (thread != null) {
            thread.join(TimeUnit.NANOSECONDS.toMillis(drainNanos) + 1000);
        }
        // Whatever is still open (no shutdown delay, or connections that slipped through) goes now.
        drain(thread == null ? drainNanos : 0);
    }

    private void drain(long periodNanos) {
        List<Session> sessions = new ArrayList<>(registry.sessions());
        if (sessions.isEmpty()) {
            return;
        }
        LOG.infof("shutdown: draining %d connections over %d ms", sessions.size(),
                TimeUnit.NANOSECONDS.toMillis(periodNanos));
        long started = System.nanoTime();
        int steps = Math.max(1, Math.min(STEPS, sessions.size()));
        for (int step = 0; step < steps; step++) {
            long wait = started + periodNanos * step / steps - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            for (Session session : sessions.subList(sessions.size() * step / steps,
                    sessions.size() * (step + 1) / steps)) {
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
        // At most drain-period + 1 s: shorter than a held seat's grace, which startup keeps over drain-period + 5 s.
        long reconnectAfter = MIN_RECONNECT_MS + ThreadLocalRandom.current().nextLong(spread);
        session.send(ServerMessages.serverShutdown(reconnectAfter));
        // The close reason repeats the hint (SPEC §14): a client that missed the frame still waits as long.
        registry.disconnect(session, CloseCode.SERVER_SHUTDOWN, reconnectAfter);
    }
}
