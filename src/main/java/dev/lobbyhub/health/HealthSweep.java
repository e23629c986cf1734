package dev.lobbyhub.health;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;

/**
 * The health sweep. Every second it evicts connections silent for longer than {@code stale-after}
 * (4004 {@code stale}) and closes those whose frames have waited {@code write-timeout} without the
 * client accepting a byte (4009 {@code slow_consumer}); every {@code ping-interval} it also pings
 * the others. Checking each second
 * keeps eviction within {@code stale-after + ping-interval} of the last frame even when the
 * scheduler fires a little late.
 *
 * <p>
 * The walk itself only compares timestamps. Pings go out in batches spread over the interval.
 * Connections to close join one queue (each once, however many sweeps find them) that a timer works
 * off a few at a time: a close costs a close frame plus a {@code member_left} to every other member,
 * so a mass eviction (a network cut, thousands at once) becomes a thin stream that leaves room for
 * everyone else's traffic instead of a burst that stalls the event loops.
 */
@ApplicationScoped
public class HealthSweep {

    private static final Logger LOG = Logger.getLogger(HealthSweep.class);
    /** Pings sent by one timer callback. */
    static final int PING_BATCH = 200;
    /** Share of the interval over which ping batches are spread. */
    static final double PING_SPREAD = 0.8;
    /** Closes made by one timer callback, and the gap between two such batches: at most 2,000 a second. */
    static final int CLOSE_BATCH = 10;
    static final long CLOSE_GAP_MS = 5;

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final Vertx vertx;
    private final long staleAfterNanos;
    private final long writeTimeoutNanos;
    private final long pingIntervalNanos;
    /** A ping round is due when this close to a full interval since the last one (ticks are not exact). */
    private final long pingToleranceNanos;
    private long lastPingRoundNanos;
    /** Connections found to close, in the order found, with the code they get; guarded by itself. */
    private final Map<Session, CloseCode> toClose = new LinkedHashMap<>();
    /** The timer working off {@link #toClose}, or -1; guarded by {@link #toClose}. */
    private long closeTimer = -1;
    private volatile long lastCompletedNanos = System.nanoTime();

    HealthSweep(ConnectionRegistry registry, LobbyhubMetrics metrics, Vertx vertx, LobbyhubConfig config) {
        this.registry = registry;
        this.metrics = metrics;
        this.vertx = vertx;
        this.staleAfterNanos = config.health().staleAfter().toNanos();
        this.writeTimeoutNanos = config.limits().writeTimeout().toNanos();
        this.pingIntervalNanos = config.health().pingInterval().toNanos();
        this.pingToleranceNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(500), pingIntervalNanos / 4);
        this.lastPingRoundNanos = System.nanoTime() - pingIntervalNanos;
    }

    @Scheduled(identity = "health-sweep", every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        long started = System.nanoTime();
        boolean pingRound = started - lastPingRoundNanos >= pingIntervalNanos - pingToleranceNanos;
        List<Session> stale = new ArrayList<>();
        List<Session> stalled = new ArrayList<>();
        List<Session> toPing = pingRound ? new ArrayList<>(registry.connectionCount()) : List.of();
        for (Session session : registry.sessions()) {
            if (!session.isOpen()) {
                continue;
            }
            if (started - session.lastInboundNanos() > staleAfterNanos) {
                stale.add(session);
            } else if (session.writeStalled(started, writeTimeoutNanos)) {
                stalled.add(session);
            } else if (pingRound) {
                toPing.add(session);
            }
        }
        int newlyStale = scheduleCloses(stale, CloseCode.STALE);
        int newlyStalled = scheduleCloses(stalled, CloseCode.SLOW_CONSUMER);
        if (pingRound) {
            lastPingRoundNanos = started;
            long batches = (toPing.size() + PING_BATCH - 1) / PING_BATCH;
            long gap = batches == 0 ? 0 : (long) (TimeUnit.NANOSECONDS.toMillis(pingIntervalNanos) * PING_SPREAD / batches);
            inBatches(toPing, PING_BATCH, gap, HealthSweep::ping);
        }
        long took = System.nanoTime() - started;
        metrics.sweepTimer().record(took, TimeUnit.NANOSECONDS);
        lastCompletedNanos = System.nanoTime();
        if (newlyStale > 0) {
            LOG.infof("sweep: evicting %d stale connections", newlyStale);
        }
        if (newlyStalled > 0) {
            LOG.infof("sweep: closing %d connections that accepted no bytes for %d s", newlyStalled,
                    TimeUnit.NANOSECONDS.toSeconds(writeTimeoutNanos));
        }
    }

    /** When the last sweep finished, in {@link System#nanoTime()} terms. */
    public long lastCompletedNanos() {
        return lastCompletedNanos;
    }

    /** Runs the first batch now and each following one {@code gapMs} later than the one before. */
    private void inBatches(List<Session> sessions, int size, long gapMs, Consumer<List<Session>> action) {
        for (int from = 0, batch = 0; from < sessions.size(); from += size, batch++) {
            List<Session> slice = sessions.subList(from, Math.min(sessions.size(), from + size));
            if (batch == 0 || gapMs == 0) {
                action.accept(slice);
            } else {
                vertx.setTimer(batch * gapMs, id -> action.accept(slice));
            }
        }
    }

    /** Queues these connections for closing; answers how many were not queued already. */
    private int scheduleCloses(List<Session> sessions, CloseCode code) {
        if (sessions.isEmpty()) {
            return 0;
        }
        int added = 0;
        synchronized (toClose) {
            for (Session session : sessions) {
                if (toClose.putIfAbsent(session, code) == null) {
                    added++;
                }
            }
            if (closeTimer < 0) {
                closeTimer = vertx.setPeriodic(1, CLOSE_GAP_MS, id -> closeSome());
            }
        }
        return added;
    }

    /** One batch of the queued closes; the timer stops when the queue is empty. */
    private void closeSome() {
        List<Map.Entry<Session, CloseCode>> batch = new ArrayList<>(CLOSE_BATCH);
        synchronized (toClose) {
            Iterator<Map.Entry<Session, CloseCode>> queued = toClose.entrySet().iterator();
            while (batch.size() < CLOSE_BATCH && queued.hasNext()) {
                batch.add(queued.next());
                queued.remove();
            }
            if (toClose.isEmpty() && closeTimer >= 0) {
                vertx.cancelTimer(closeTimer);
                closeTimer = -1;
            }
        }
        long now = System.nanoTime();
        for (Map.Entry<Session, CloseCode> entry : batch) {
            Session session = entry.getKey();
            if (!session.isOpen()) {
                continue;
            }
            if (entry.getValue() == CloseCode.STALE) {
                // Still silent? A frame may have come in since the walk.
                if (now - session.lastInboundNanos() > staleAfterNanos) {
                    registry.disconnect(session, CloseCode.STALE);
                }
            } else {
                metrics.dropped(DropReason.SEND_FAILED);
                registry.disconnect(session, entry.getValue());
            }
        }
    }

    private static void ping(List<Session> batch) {
        long timestamp = System.currentTimeMillis();
        String ping = ServerMessages.healthPing(timestamp);
        for (Session session : batch) {
            if (session.isOpen()) {
                session.sendHealthPing(ping, timestamp);
            }
        }
    }
}
