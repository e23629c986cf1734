package dev.lobbyhub.health;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.CloseCode;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;

/**
 * Every {@code ping-interval}: evicts connections silent for longer than {@code stale-after}
 * (4004 {@code stale}) and pings the others. The walk only compares timestamps; the pings go out
 * in small batches spread over the interval, so no event loop gets thousands of writes at once.
 */
@ApplicationScoped
public class HealthSweep {

    private static final Logger LOG = Logger.getLogger(HealthSweep.class);
    /** Pings sent by one timer callback. */
    static final int BATCH = 200;
    /** Share of the interval over which the batches are spread, leaving room before the next sweep. */
    static final double SPREAD = 0.8;

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final Vertx vertx;
    private final long staleAfterNanos;
    private final long pingIntervalMillis;
    private volatile long lastCompletedNanos = System.nanoTime();

    HealthSweep(ConnectionRegistry registry, LobbyhubMetrics metrics, Vertx vertx, LobbyhubConfig config) {
        this.registry = registry;
        this.metrics = metrics;
        this.vertx = vertx;
        this.staleAfterNanos = config.health().staleAfter().toNanos();
        this.pingIntervalMillis = config.health().pingInterval().toMillis();
    }

    @Scheduled(identity = "health-sweep", every = "${lobbyhub.health.ping-interval:15s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        long started = System.nanoTime();
        List<Session> toPing = new ArrayList<>(registry.connectionCount());
        int evicted = 0;
        for (Session session : registry.sessions()) {
            if (!session.isOpen()) {
                continue;
            }
            if (started - session.lastInboundNanos() > staleAfterNanos) {
                if (registry.disconnect(session, CloseCode.STALE)) {
                    evicted++;
                }
            } else {
                toPing.add(session);
            }
        }
        schedulePings(toPing);
        long took = System.nanoTime() - started;
        metrics.sweepTimer().record(took, TimeUnit.NANOSECONDS);
        lastCompletedNanos = System.nanoTime();
        if (evicted > 0) {
            LOG.infof("sweep evicted %d stale connections of %d in %d ms", evicted, toPing.size() + evicted,
                    TimeUnit.NANOSECONDS.toMillis(took));
        }
    }

    /** When the last sweep finished, in {@link System#nanoTime()} terms. */
    public long lastCompletedNanos() {
        return lastCompletedNanos;
    }

    private void schedulePings(List<Session> sessions) {
        int batches = (sessions.size() + BATCH - 1) / BATCH;
        if (batches == 0) {
            return;
        }
        long step = (long) (pingIntervalMillis * SPREAD / batches);
        for (int b = 0; b < batches; b++) {
            List<Session> batch = sessions.subList(b * BATCH, Math.min(sessions.size(), (b + 1) * BATCH));
            if (b == 0 || step == 0) {
                ping(batch);
            } else {
                vertx.setTimer(b * step, id -> ping(batch));
            }
        }
    }

    private static void ping(List<Session> batch) {
        String ping = ServerMessages.healthPing(System.currentTimeMillis());
        for (Session session : batch) {
            if (session.isOpen()) {
                session.send(ping);
            }
        }
    }
}
