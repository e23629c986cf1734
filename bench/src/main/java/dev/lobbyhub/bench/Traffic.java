package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Open-loop traffic from member 0 of each lobby: {@code lobby_message}s (each delivered to the lobby's
 * other members) or {@code direct_message}s (each to one member, rotating). Message <em>i</em> is due
 * at {@code start + i / sendRate} and carries that intended time and its step number, so a late sender
 * (client or server stall) shows as latency, not as a lower rate (no coordinated omission). Register
 * {@link #onFrame} as (part of) the load client's frame listener. When the members are spread over
 * several servers ({@link LoadClient#across}), each step also counts deliveries per receiving server
 * and keeps the latency of deliveries to a receiver on another server than its sender apart.
 */
final class Traffic {

    enum Kind {
        LOBBY("lobby_message"),
        DIRECT("direct_message");

        final String type;

        Kind(String type) {
            this.type = type;
        }
    }

    /** One step's outcome. CPU figures are -1 when the server's pid is unknown. */
    record Step(int rate, double seconds, long sent, long expected, long delivered, boolean drained,
            Histogram latency, long serverCpuMicros, long clientCpuMicros, double elapsedSeconds,
            long[] deliveredByNode, Histogram crossNodeLatency, Histogram sameNodeLatency) {

        /** A percentile of {@code h} in ms, -1 when it is empty. */
        static double p(Histogram h, double percentile) {
            return h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(percentile) / 1000.0;
        }

        double p(double percentile) {
            return p(latency, percentile);
        }

        double maxMs() {
            return latency.getMaxValue() / 1000.0;
        }

        double cpuMicrosPerDelivery() {
            return serverCpuMicros < 0 || delivered == 0 ? -1 : serverCpuMicros / (double) delivered;
        }

        double serverCpuPercent() {
            return serverCpuMicros < 0 ? -1 : serverCpuMicros / elapsedSeconds / 1e4;
        }

        double clientCpuPercent() {
            return clientCpuMicros / elapsedSeconds / 1e4;
        }

        double deliveredRatio() {
            return delivered / (double) Math.max(1, expected);
        }

        /** The figures of the report's {@code fanout}/{@code direct} rows. */
        JsonObject toJson() {
            boolean any = delivered > 0;
            return new JsonObject().put("rate", rate).put("achieved_per_s", Math.round(delivered / seconds))
                    .put("delivered_ratio", round(deliveredRatio(), 5)).put("p50_ms", any ? round(p(50), 2) : null)
                    .put("p99_ms", any ? round(p(99), 2) : null).put("p999_ms", any ? round(p(99.9), 2) : null)
                    .put("max_ms", any ? round(maxMs(), 2) : null)
                    .put("cpu_us_per_delivery", any && serverCpuMicros >= 0 ? round(cpuMicrosPerDelivery(), 2) : null)
                    .put("server_cpu_pct", round(serverCpuPercent(), 1)).put("client_cpu_pct", round(clientCpuPercent(), 1));
        }

        String describe() {
            return String.format("rate %d deliveries/s for %.0f s: sent %d, delivered %d of %d%s; latency ms p50 %.2f p99 %.2f "
                            + "p99.9 %.2f max %.2f; server CPU %.1f µs/delivery (%.0f %% of a core), client CPU %.0f %%",
                    rate, seconds, sent, delivered, expected, drained ? "" : " (NOT drained)", p(50), p(99), p(99.9),
                    maxMs(), cpuMicrosPerDelivery(), serverCpuPercent(), clientCpuPercent());
        }
    }

    private static final long MAX_MICROS = 120_000_000L;

    private final Vertx vertx;
    private final Kind kind;
    private final int lobbySize;
    private final long pid;
    private final String pad;
    private final List<LoadClient.Conn> senders;
    /** Receivers whose deliveries count (the others, e.g. stalled readers, are ignored). */
    private final Predicate<LoadClient.Conn> counted;
    /** Per sender (by position in {@link #senders}) and receiver slot: whether that receiver counts. */
    private final boolean[][] countedReceiver;
    private final Map<Integer, LongAdder> delivered = new ConcurrentHashMap<>();
    private final Map<Integer, Histogram> latency = new ConcurrentHashMap<>();
    /** Per step: deliveries by the receiver's server, latency to receivers on another server than the sender's, and on the same. */
    private final Map<Integer, LongAdder[]> deliveredByNode = new ConcurrentHashMap<>();
    private final Map<Integer, Histogram> crossNode = new ConcurrentHashMap<>();
    private final Map<Integer, Histogram> sameNode = new ConcurrentHashMap<>();
    private final int nodes;
    private int step;

    /**
     * @param conns every connection of the load client, in index order (lobby {@code i / lobbySize})
     * @param counted which receivers' deliveries are expected and recorded
     */
    Traffic(Vertx vertx, Kind kind, List<LoadClient.Conn> conns, int lobbySize, int size, long pid,
            Predicate<LoadClient.Conn> counted) {
        this.vertx = vertx;
        this.kind = kind;
        this.lobbySize = lobbySize;
        this.pid = pid;
        this.counted = counted;
        this.pad = "x".repeat(Math.max(0, size - data(0, 100_000, System.nanoTime(), "").length()));
        this.senders = conns.stream().filter(c -> c.index % lobbySize == 0).toList();
        this.nodes = 1 + conns.stream().mapToInt(c -> c.node).max().orElse(0);
        this.countedReceiver = new boolean[senders.size()][lobbySize];
        for (int s = 0; s < senders.size(); s++) {
            int first = senders.get(s).index;
            for (int slot = 1; slot < lobbySize && first + slot < conns.size(); slot++) {
                countedReceiver[s][slot] = counted.test(conns.get(first + slot));
            }
        }
    }

    int senders() {
        return senders.size();
    }

    /** The frame listener: records a delivery of this traffic to a counted receiver. */
    void onFrame(LoadClient.Conn receiver, JsonObject frame) {
        if (kind.type.equals(frame.getString("type")) && counted.test(receiver)) {
            long now = System.nanoTime();
            JsonObject data = frame.getJsonObject("data");
            int k = data.getInteger("k");
            long micros = Math.min(MAX_MICROS, Math.max(0, (now - data.getLong("t")) / 1000));
            delivered.computeIfAbsent(k, x -> new LongAdder()).increment();
            latency.computeIfAbsent(k, x -> new ConcurrentHistogram(MAX_MICROS, 3)).recordValue(micros);
            if (nodes > 1) {
                LongAdder[] byNode = deliveredByNode.get(k);
                if (byNode != null) {
                    byNode[receiver.node].increment();
                }
                boolean cross = senders.get(receiver.index / lobbySize).node != receiver.node;
                Histogram h = (cross ? crossNode : sameNode).get(k);
                if (h != null) {
                    h.recordValue(micros);
                }
            }
        }
    }

    /**
     * One step: sends at {@code rate} deliveries a second for {@code length}, then waits up to
     * {@code drain} for every expected delivery.
     */
    Step run(int rate, Duration length, Duration drain) {
        int k = ++step;
        delivered.put(k, new LongAdder());
        latency.put(k, new ConcurrentHistogram(MAX_MICROS, 3));
        LongAdder[] byNode = new LongAdder[nodes];
        for (int n = 0; n < nodes; n++) {
            byNode[n] = new LongAdder();
        }
        deliveredByNode.put(k, byNode);
        crossNode.put(k, new ConcurrentHistogram(MAX_MICROS, 3));
        sameNode.put(k, new ConcurrentHistogram(MAX_MICROS, 3));
        double sendRate = kind == Kind.LOBBY ? rate / (double) (lobbySize - 1) : rate;
        long serverCpu0 = ProcStat.cpuMicros(pid);
        long clientCpu0 = ProcStat.cpuMicros(0);
        long t0 = System.nanoTime();
        AtomicLong expected = new AtomicLong();
        long sent = sendOpenLoop(k, sendRate, length, expected);
        boolean drained = Wait.until(() -> delivered.get(k).sum() >= expected.get(), drain, Duration.ofMillis(20));
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long serverCpu = pid > 0 ? ProcStat.cpuMicros(pid) - serverCpu0 : -1;
        long clientCpu = ProcStat.cpuMicros(0) - clientCpu0;
        long[] perNode = new long[nodes];
        for (int n = 0; n < nodes; n++) {
            perNode[n] = byNode[n].sum();
        }
        return new Step(rate, length.toMillis() / 1000.0, sent, expected.get(), delivered.get(k).sum(), drained,
                latency.get(k).copy(), serverCpu, clientCpu, elapsed, perNode, crossNode.get(k).copy(),
                sameNode.get(k).copy());
    }

    private long sendOpenLoop(int k, double rate, Duration length, AtomicLong expected) {
        AtomicLong sent = new AtomicLong();
        long start = System.nanoTime();
        long total = (long) (rate * length.toNanos() / 1e9);
        double interval = 1e9 / rate;
        long timer = vertx.setPeriodic(1, id -> {
            long due = Math.min(total, (long) ((System.nanoTime() - start) / interval) + 1);
            for (int n = 0; sent.get() < due && n < 5_000; n++) {
                long i = sent.getAndIncrement();
                int s = (int) (i % senders.size());
                LoadClient.Conn from = senders.get(s);
                String data = data(k, i, start + (long) (i * interval), pad);
                if (kind == Kind.LOBBY) {
                    for (int slot = 1; slot < lobbySize; slot++) {
                        expected.addAndGet(countedReceiver[s][slot] ? 1 : 0);
                    }
                    from.send("{\"type\":\"lobby_message\",\"data\":" + data + "}");
                } else {
                    // Rotate over the other members: the lobby's sender round i / senders picks slot 1..size-1.
                    int slot = 1 + (int) ((i / senders.size()) % (lobbySize - 1));
                    expected.addAndGet(countedReceiver[s][slot] ? 1 : 0);
                    String to = from.userId.substring(0, from.userId.lastIndexOf('u') + 1) + (from.index + slot);
                    from.send("{\"type\":\"direct_message\",\"to\":\"" + to + "\",\"data\":" + data + "}");
                }
            }
        });
        Wait.until(() -> sent.get() >= total, length.plusSeconds(30), Duration.ofMillis(10));
        vertx.cancelTimer(timer);
        return sent.get();
    }

    private static String data(int step, long seq, long intendedNanos, String pad) {
        return "{\"k\":" + step + ",\"s\":" + seq + ",\"t\":" + intendedNanos + ",\"p\":\"" + pad + "\"}";
    }

    static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
