package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "slow readers" (S7): lobby fan-out at a fixed rate; after a baseline step with everybody reading,
 * {@code slow-percent} of the receivers stop reading ({@code WebSocket.pause()}) for a second step.
 * Measured: how soon the server closes each stalled reader (when its lobby mates get {@code member_left};
 * never, for the peers), the peak growth of
 * the server's resident set while they stall, and the healthy receivers' latency against the
 * baseline. Every connection's socket receive buffer is fixed ({@code receive-buffer}), so the
 * kernel cannot hide a stalled reader behind megabytes of loopback buffering; the defaults give each
 * receiver several hundred KB a second, so a stalled one backs up fast.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.SlowReadersScenario --port 18080 --pid SERVER_PID \
 *     [--label lobbyhub] [--connections 200] [--rate 20000] [--size 4096] [--slow-percent 1] \
 *     [--step-seconds 20] [--receive-buffer 65536] [--secret S]
 * </pre>
 */
public final class SlowReadersScenario {

    public static void main(String[] argv) {
        ScenarioMain.run(argv, SlowReadersScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "server");
        int connections = args.integer("connections", 200);
        int rate = args.integer("rate", 20_000);
        int size = args.integer("size", 4096);
        int slowEvery = 100 / args.integer("slow-percent", 1);
        Duration step = Duration.ofSeconds(args.integer("step-seconds", 20));
        Duration drain = Duration.ofSeconds(10);
        ServerWatch server = new ServerWatch(args.target().port(), args.pid());

        LoadClient load = new LoadClient(vertx, args.target(), "slow", 10, 64, args.integer("receive-buffer", 65_536));
        Wait.on(load.connect(connections), Duration.ofMinutes(2));
        // Receivers only (member 0 of each lobby sends: index % 10 == 0), spread over the lobbies.
        int slowSlot = slowEvery / 2 + 1;
        List<LoadClient.Conn> slow = load.conns().stream().filter(c -> c.index % slowEvery == slowSlot).toList();
        Traffic traffic = new Traffic(vertx, Traffic.Kind.LOBBY, load.conns(), 10, size, args.pid(),
                c -> c.index % slowEvery != slowSlot);
        // A stalled reader does not read its own close either: its lobby mates' member_left tells when it went.
        Map<String, Long> leftAt = new ConcurrentHashMap<>();
        load.onFrame((conn, frame) -> {
            traffic.onFrame(conn, frame);
            if ("member_left".equals(frame.getString("type"))) {
                leftAt.putIfAbsent(frame.getString("user_id"), System.nanoTime());
            }
        });
        traffic.run(rate, Duration.ofSeconds(5), drain); // warm-up
        Traffic.Step baseline = traffic.run(rate, step, drain);
        print("%s baseline, everybody reading: %s", label, baseline.describe());

        long rssBefore = server.rssKb();
        long pausedAt = System.nanoTime();
        slow.forEach(c -> c.ws.pause());
        AtomicBoolean stepping = new AtomicBoolean(true);
        AtomicLong rssPeak = new AtomicLong(rssBefore);
        CompletableFuture<Void> sampling = CompletableFuture.runAsync(() -> {
            while (stepping.get()) {
                rssPeak.accumulateAndGet(server.rssKb(), Math::max);
                Wait.pause(Duration.ofMillis(250));
            }
        });
        Traffic.Step stalled = traffic.run(rate, step, drain);
        stepping.set(false);
        sampling.join();
        List<LoadClient.Conn> closed = slow.stream().filter(c -> leftAt.containsKey(c.userId)).toList();
        double maxCloseSeconds = closed.stream().mapToLong(c -> leftAt.get(c.userId) - pausedAt).max().orElse(0) / 1e9;
        long othersClosed = load.conns().stream().filter(c -> !slow.contains(c) && (c.isClosed() || leftAt.containsKey(c.userId)))
                .count();
        double growthMb = (rssPeak.get() - rssBefore) / 1024.0;
        print("%s %d stalled readers: %d closed, the last after %.2f s; %d others closed; peak RSS growth %.1f MiB; %s",
                label, slow.size(), closed.size(), maxCloseSeconds, othersClosed, growthMb, stalled.describe());
        double perReaderKbS = rate / (double) (connections - connections / 10) * size / 1000.0;
        Results.emit("slow", label, new JsonObject().put("connections", connections).put("slow_readers", slow.size())
                .put("slow_closed", closed.size())
                .put("max_close_s", closed.size() == slow.size() ? Traffic.round(maxCloseSeconds, 2) : null)
                .put("memory_growth_mb", Traffic.round(growthMb, 1))
                .put("baseline_p99_ms", Traffic.round(baseline.p(99), 2)).put("healthy_p99_ms", Traffic.round(stalled.p(99), 2))
                .put("healthy_delivered_ratio", Traffic.round(stalled.deliveredRatio(), 5))
                .put("per_reader_kb_s", Math.round(perReaderKbS)).put("others_closed", othersClosed));
        Wait.on(load.close(), Duration.ofSeconds(30));
        return othersClosed == 0;
    }

    private static void print(String format, Object... values) {
        System.out.printf("[slow-readers] " + format + "%n", values);
    }
}
