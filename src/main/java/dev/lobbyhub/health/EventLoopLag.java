package dev.lobbyhub.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.LobbyhubMetrics;

/**
 * How late the event loops run (SPEC §14): every event loop runs a probe every {@value #PERIOD_MS} ms
 * and notes how much later than asked it ran. Over {@code limits.max-event-loop-lag} the node is busy:
 * new connections are refused 1013 {@code server_busy} until the lag has stayed under half the bound
 * for 2 s. Readiness stays UP meanwhile (in a storm every pod is busy at once).
 */
@ApplicationScoped
public class EventLoopLag {

    static final long PERIOD_MS = 50;
    private static final long CALM_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Vertx vertx;
    private final long boundNanos;
    /** The lag each event loop measured last, in nanoseconds. */
    private final AtomicLongArray lastLag;
    /** When the lag was last at or over half the bound; 0: never. */
    private final AtomicLong lastHighNanos = new AtomicLong();
    private final AtomicLong busySinceNanos = new AtomicLong();
    private volatile boolean stopped;

    private final LobbyhubMetrics metrics;

    EventLoopLag(Vertx vertx, LobbyhubConfig config, LobbyhubMetrics metrics) {
        this.vertx = vertx;
        this.boundNanos = config.limits().maxEventLoopLag().toNanos();
        this.metrics = metrics;
        int loops = 0;
        for (EventExecutor ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        this.lastLag = new AtomicLongArray(loops);
    }

    void start(@Observes StartupEvent started) {
        metrics.eventLoopLag(() -> lag().toNanos() / 1e9);
        int index = 0;
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            probe(loop, index++, System.nanoTime());
        }
    }

    void stop(@Observes ShutdownEvent stopping) {
        stopped = true;
    }

    /** Runs on {@code loop} {@value #PERIOD_MS} ms after {@code from}, measures how late, and schedules the next. */
    private void probe(EventExecutor loop, int index, long from) {
        if (stopped) {
            return;
        }
        long due = from + TimeUnit.MILLISECONDS.toNanos(PERIOD_MS);
        loop.schedule(() -> {
            long now = System.nanoTime();
            record(index, Math.max(0, now - due), now);
            probe(loop, index, now);
        }, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void record(int index, long lag, long now) {
        lastLag.set(index, lag);
        if (lag * 2 >= boundNanos) {
            lastHighNanos.set(now);
        }
        if (lag > boundNanos) {
            busySinceNanos.compareAndSet(0, now);
        }
    }

    /** The largest lag the event loops measured last. */
    public Duration lag() {
        long max = 0;
        for (int i = 0; i < lastLag.length(); i++) {
            max = Math.max(max, lastLag.get(i));
        }
        return Duration.ofNanos(max);
    }

    /** How long from now, at the least, until {@link #busy()} can end: the lag must stay under half the bound for 2 s. */
    public long calmInNanos() {
        return Math.max(0, lastHighNanos.get() + CALM_NANOS - System.nanoTime());
    }

    /** Whether new connections are refused: the lag went over the bound and has not stayed under half of it for 2 s. */
    public boolean busy() {
        long since = busySinceNanos.get();
        if (since == 0) {
            return false;
        }
        if (System.nanoTime() - lastHighNanos.get() < CALM_NANOS) {
            return true;
        }
        busySinceNanos.compareAndSet(since, 0);
        return false;
    }
}
