package dev.lobbyhub.bench;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * A few extra connections (lobby {@code probe-0}) that each send {@code {"type":"ping","id":n}}
 * every {@code periodMs}, staggered, and record the ping→pong round trip in microseconds. Pings go
 * out on a fixed schedule whether or not the last one was answered, so a stall of the server's event
 * loop shows up in full in the maximum. Keep {@code 1000 / periodMs} under the server's
 * {@code messages-per-second} (default 50).
 */
final class Probe {

    /** Send times by ping id modulo this; far more than can be outstanding. */
    private static final int RING = 4096;

    private final Vertx vertx;
    private final LoadClient client;
    private final int periodMs;
    private final Recorder recorder = new Recorder(3);
    private final LongAdder sent = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final List<AtomicLongArray> sentAt = new CopyOnWriteArrayList<>();
    private final List<Long> timers = new CopyOnWriteArrayList<>();
    private final Recorder pingGaps = new Recorder(3);
    private final List<AtomicLong> lastHealthPing = new CopyOnWriteArrayList<>();

    Probe(Vertx vertx, LoadClient.Target target, int periodMs) {
        this.vertx = vertx;
        this.client = new LoadClient(vertx, target, "probe", 10, 16);
        this.periodMs = periodMs;
        client.onFrame((conn, frame) -> {
            if ("pong".equals(frame.getString("type")) && frame.getValue("id") instanceof Number id) {
                long sentNanos = sentAt.get(conn.index).get((int) (id.longValue() % RING));
                recorder.recordValue(Math.max(0, (System.nanoTime() - sentNanos) / 1000));
                answered.increment();
            } else if ("health_ping".equals(frame.getString("type"))) {
                long at = frame.getLong("timestamp");
                long previous = lastHealthPing.get(conn.index).getAndSet(at);
                if (previous > 0) {
                    pingGaps.recordValue(Math.max(0, at - previous));
                }
            }
        });
    }

    /** Connects {@code count} (at most 10) probe connections and starts pinging once all are welcomed. */
    Future<Void> start(int count) {
        for (int i = 0; i < count; i++) {
            sentAt.add(new AtomicLongArray(RING));
            lastHealthPing.add(new AtomicLong());
        }
        return client.connect(count).map(v -> {
            for (LoadClient.Conn conn : client.conns()) {
                AtomicLong seq = new AtomicLong();
                long stagger = 1 + (long) periodMs * conn.index / count;
                timers.add(vertx.setTimer(stagger, t -> timers.add(vertx.setPeriodic(periodMs, p -> {
                    long id = seq.getAndIncrement();
                    sentAt.get(conn.index).set((int) (id % RING), System.nanoTime());
                    sent.increment();
                    conn.send("{\"type\":\"ping\",\"id\":" + id + "}");
                }))));
            }
            return null;
        });
    }

    /** Round trips recorded since the previous call, in microseconds. */
    Histogram window() {
        return recorder.getIntervalHistogram();
    }

    /**
     * Gaps between consecutive {@code health_ping} timestamps on one probe connection since the
     * previous call, in milliseconds: how regular the server's sweeps are.
     */
    Histogram healthPingGaps() {
        return pingGaps.getIntervalHistogram();
    }

    long sent() {
        return sent.sum();
    }

    long answered() {
        return answered.sum();
    }

    /** The first probe's {@code welcome}: it carries the server's ping interval and stale-after. */
    JsonObject welcome() {
        return client.conns().get(0).welcome;
    }

    int openConnections() {
        return (int) client.conns().stream().filter(c -> c.welcome != null && !c.isClosed()).count();
    }

    Future<Void> stop() {
        timers.forEach(vertx::cancelTimer);
        return client.close();
    }

    /** A window as "p50 … / p99 … / p99.9 … / max … ms (n=…)". */
    static String describe(Histogram h) {
        return String.format("p50 %.2f ms / p99 %.2f ms / p99.9 %.2f ms / max %.2f ms (n=%d)",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
    }
}
