package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "fanout" (S3, simplified): {@code connections} members in lobbies of {@code lobby-size}; member 0 of
 * each lobby sends small {@code lobby_message}s, open loop, at a fixed aggregate rate chosen so that
 * the lobby's other members receive {@code rate} deliveries a second in all; one step per rate of
 * the ladder. Each message carries its step and its <em>intended</em> send time, so a late sender
 * (client or server stall) shows up as latency instead of as a lower rate (no coordinated omission).
 * Server CPU per delivery comes from {@code /proc/PID/stat}. Works against lobbyhub and every peer.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.FanoutScenario --port 18080 --pid SERVER_PID \
 *     [--label lobbyhub] [--connections 2000] [--lobby-size 10] [--rates 5000,10000,20000,40000] \
 *     [--step-seconds 10] [--warmup-seconds 10] [--size 100] [--drain-seconds 10] [--secret S]
 * </pre>
 * Prints one markdown row per step on lines starting with {@code TABLE }.
 */
public final class FanoutScenario {

    private static final long MAX_MICROS = 120_000_000L;

    private final Args args;
    private final Vertx vertx;
    private final long pid;
    private final String label;
    private final int lobbySize;
    private final String pad;
    /** Per step (index 0 is the warm-up): deliveries and their latency, µs. */
    private final LongAdder[] delivered;
    private final Histogram[] latency;

    private FanoutScenario(Args args, Vertx vertx, int steps) {
        this.args = args;
        this.vertx = vertx;
        this.pid = args.pid();
        this.label = args.string("label", "server");
        this.lobbySize = args.integer("lobby-size", 10);
        int size = args.integer("size", 100);
        this.pad = "x".repeat(Math.max(0, size - data(0, 100_000, System.nanoTime(), "").length()));
        this.delivered = new LongAdder[steps];
        this.latency = new Histogram[steps];
        for (int i = 0; i < steps; i++) {
            delivered[i] = new LongAdder();
            latency[i] = new ConcurrentHistogram(MAX_MICROS, 3);
        }
    }

    public static void main(String[] argv) {
        Args args = new Args(argv);
        int[] rates = Arrays.stream(args.string("rates", "5000,10000,20000,40000").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        Vertx vertx = Vertx.vertx();
        boolean ok;
        try {
            ok = new FanoutScenario(args, vertx, rates.length + 1).run(rates);
        } finally {
            Wait.on(vertx.close(), Duration.ofSeconds(30));
        }
        System.exit(ok ? 0 : 1);
    }

    private boolean run(int[] rates) {
        int connections = args.integer("connections", 2_000);
        int stepSeconds = args.integer("step-seconds", 10);
        int warmupSeconds = args.integer("warmup-seconds", 10);
        LoadClient load = new LoadClient(vertx, args.target(), "fan", lobbySize, args.integer("in-flight", 256));
        load.onFrame((conn, frame) -> {
            if ("lobby_message".equals(frame.getString("type"))) {
                long now = System.nanoTime();
                JsonObject data = frame.getJsonObject("data");
                int step = data.getInteger("k");
                delivered[step].increment();
                latency[step].recordValue(Math.min(MAX_MICROS, Math.max(0, (now - data.getLong("t")) / 1000)));
            }
        });
        Wait.on(load.connect(connections), Duration.ofMinutes(5));
        List<LoadClient.Conn> senders = load.conns().stream().filter(c -> c.index % lobbySize == 0).toList();
        int receiversPerMessage = lobbySize - 1;
        print("%s: %d welcomed, %d failed; %d senders, %d receivers per message, data %d bytes", label,
                load.welcomed(), load.failed(), senders.size(), receiversPerMessage, data(0, 100_000, System.nanoTime(), pad).length());
        if (load.welcomed() < connections) {
            Wait.on(load.close(), Duration.ofSeconds(30));
            return false;
        }
        Wait.pause(Duration.ofSeconds(2)); // member_joined storm over

        boolean ok = true;
        for (int step = 0; step <= rates.length; step++) {
            int rate = step == 0 ? rates[0] : rates[step - 1];
            int seconds = step == 0 ? warmupSeconds : stepSeconds;
            double sendRate = rate / (double) receiversPerMessage;
            long serverCpu0 = ProcStat.cpuMicros(pid);
            long clientCpu0 = ProcStat.cpuMicros(0);
            long t0 = System.nanoTime();
            long sent = sendOpenLoop(senders, step, sendRate, Duration.ofSeconds(seconds));
            long expected = sent * receiversPerMessage;
            int k = step;
            boolean drained = Wait.until(() -> delivered[k].sum() >= expected,
                    Duration.ofSeconds(args.integer("drain-seconds", 10)), Duration.ofMillis(20));
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long serverCpu = ProcStat.cpuMicros(pid) - serverCpu0;
            long clientCpu = ProcStat.cpuMicros(0) - clientCpu0;
            long got = delivered[step].sum();
            Histogram h = latency[step].copy();
            String line = String.format("%s step %s: rate %d deliveries/s (%.0f sends/s) for %d s: sent %d, delivered %d of %d%s; "
                            + "latency ms p50 %.2f p99 %.2f p99.9 %.2f max %.2f; server CPU %.1f µs/delivery (%.0f %% of a core), client CPU %.0f %%",
                    label, step == 0 ? "warm-up" : Integer.toString(step), rate, sendRate, seconds, sent, got, expected,
                    drained ? "" : " (NOT drained)", ms(h, 50), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0,
                    pid > 0 && got > 0 ? serverCpu / (double) got : -1, pid > 0 ? serverCpu / elapsed / 1e4 : -1,
                    clientCpu / elapsed / 1e4);
            print("%s", line);
            if (step > 0) {
                System.out.printf("TABLE | %s | %d | %.0f | %.2f %% | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f %% | %.0f %% |%n",
                        label, rate, got / (double) seconds, 100.0 * got / Math.max(1, expected), ms(h, 50), ms(h, 99),
                        ms(h, 99.9), h.getMaxValue() / 1000.0, pid > 0 && got > 0 ? serverCpu / (double) got : -1,
                        pid > 0 ? serverCpu / elapsed / 1e4 : -1, clientCpu / elapsed / 1e4);
            }
            ok &= drained || step > 0; // saturation at the top of the ladder is a result, not a failure
        }
        long closed = load.conns().stream().filter(LoadClient.Conn::isClosed).count();
        print("%s: %d connections closed by the server during the run; closes by code %s", label, closed,
                load.closesByCode());
        Wait.on(load.close(), Duration.ofSeconds(30));
        return ok;
    }

    /**
     * Sends for {@code length} at {@code rate} messages a second, round-robin over the senders; message
     * {@code i} is due at {@code start + i / rate} and carries that time. Returns how many were sent.
     */
    private long sendOpenLoop(List<LoadClient.Conn> senders, int step, double rate, Duration length) {
        AtomicLong sent = new AtomicLong();
        long start = System.nanoTime();
        long total = (long) (rate * length.toNanos() / 1e9);
        double interval = 1e9 / rate;
        long timer = vertx.setPeriodic(1, id -> {
            long due = Math.min(total, (long) ((System.nanoTime() - start) / interval) + 1);
            for (int n = 0; sent.get() < due && n < 5_000; n++) {
                long i = sent.getAndIncrement();
                LoadClient.Conn c = senders.get((int) (i % senders.size()));
                c.send("{\"type\":\"lobby_message\",\"data\":" + data(step, i, start + (long) (i * interval), pad) + "}");
            }
        });
        Wait.until(() -> sent.get() >= total, length.plusSeconds(30), Duration.ofMillis(10));
        vertx.cancelTimer(timer);
        return sent.get();
    }

    private static String data(int step, long seq, long intendedNanos, String pad) {
        return "{\"k\":" + step + ",\"s\":" + seq + ",\"t\":" + intendedNanos + ",\"p\":\"" + pad + "\"}";
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? -1 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static void print(String format, Object... values) {
        System.out.printf("[fanout] " + format + "%n", values);
    }
}
