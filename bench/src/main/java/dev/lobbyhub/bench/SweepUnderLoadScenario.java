package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "sweep under load" (S5, lobbyhub only: the peers have no health sweep): lobby fan-out at a fixed
 * rate over {@code traffic} connections, measured three times: alone (the baseline), with idle
 * connections added up to {@code connections} in all (every sweep now pings all of them), and while
 * {@code silent-percent} of all connections, taken from the idle ones, fall silent and must be
 * evicted with 4004 within stale-after + ping-interval. Probe connections ping on a fixed schedule:
 * their longest round trip bounds the longest event-loop stall.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.SweepUnderLoadScenario --port 18080 --pid SERVER_PID \
 *     [--connections 19000] [--traffic 2000] [--rate 10000] [--window-seconds 20] [--silent-percent 5] \
 *     [--probes 8] [--probe-period-ms 25] [--in-flight 256] [--secret S]
 * </pre>
 */
public final class SweepUnderLoadScenario {

    private static boolean ok = true;

    public static void main(String[] argv) {
        ScenarioMain.run(argv, SweepUnderLoadScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        LoadClient.Target target = args.target();
        ServerWatch server = new ServerWatch(target.port(), args.pid());
        int total = args.integer("connections", 19_000);
        int trafficConns = args.integer("traffic", 2_000);
        int rate = args.integer("rate", 10_000);
        int inFlight = args.integer("in-flight", 256);
        Duration window = Duration.ofSeconds(args.integer("window-seconds", 20));
        Duration drain = Duration.ofSeconds(10);

        Probe probe = new Probe(vertx, target, args.integer("probe-period-ms", 25));
        Wait.on(probe.start(args.integer("probes", 8)), Duration.ofSeconds(30));
        long intervalMs = probe.welcome().getLong("ping_interval_ms");
        long staleMs = probe.welcome().getLong("stale_after_ms");

        LoadClient busy = new LoadClient(vertx, target, "fan", 10, inFlight);
        Wait.on(busy.connect(trafficConns), Duration.ofMinutes(2));
        Traffic traffic = new Traffic(vertx, Traffic.Kind.LOBBY, busy.conns(), 10, 100, args.pid(), c -> true);
        busy.onFrame(traffic::onFrame);
        traffic.run(rate, Duration.ofSeconds(10), drain); // warm-up
        Measured baseline = measure(server, probe, traffic, rate, window, drain);
        print("baseline, %d connections: %s", trafficConns, baseline.describe());

        LoadClient idle = new LoadClient(vertx, target, "idle", 10, inFlight);
        Wait.on(idle.connect(total - trafficConns), Duration.ofMinutes(10));
        check(idle.welcomed() == total - trafficConns, "all " + total + " connections welcomed");
        Measured loaded = measure(server, probe, traffic, rate, window, drain);
        print("%d connections: %s", total, loaded.describe());
        long falseEvictions = closed(busy.conns()) + closed(idle.conns());
        check(falseEvictions == 0, "no connection closed while all answer");

        int silentCount = total * args.integer("silent-percent", 5) / 100;
        int every = Math.max(1, (total - trafficConns) / silentCount);
        List<LoadClient.Conn> silent = idle.conns().stream().filter(c -> c.index % every == 0).limit(silentCount).toList();
        silent.forEach(c -> c.silent = true);
        long bound = staleMs + intervalMs;
        Measured evicting = measure(server, probe, traffic, rate, Duration.ofMillis(bound + intervalMs), drain);
        Wait.until(() -> silent.stream().allMatch(LoadClient.Conn::isClosed), Duration.ofMillis(intervalMs + 5_000),
                Duration.ofMillis(100));
        long inTime = silent.stream().filter(c -> c.closeCode == 4004 && (c.closedNanos - c.lastSentNanos) / 1_000_000 <= bound)
                .count();
        falseEvictions = closed(busy.conns()) + closed(idle.conns().stream().filter(c -> !c.silent).toList());
        print("%d silent (every %dth idle connection): %d evicted with 4004 within %d ms; %d others closed; %s",
                silent.size(), every, inTime, bound, falseEvictions, evicting.describe());
        check(inTime == silent.size(), "every silent connection evicted in time");
        check(falseEvictions == 0, "no false evictions");

        double steadyStall = loaded.window().rtt().getMaxValue() / 1000.0;
        double evictionStall = evicting.window().rtt().getMaxValue() / 1000.0;
        Results.emit("sweep", "lobbyhub", new JsonObject().put("connections", total).put("silent", silent.size())
                .put("evicted_in_time", inTime).put("false_evictions", falseEvictions)
                .put("max_stall_ms", Traffic.round(Math.max(steadyStall, evictionStall), 1))
                .put("steady_stall_ms", Traffic.round(steadyStall, 1))
                .put("eviction_stall_ms", Traffic.round(evictionStall, 1))
                .put("baseline_p99_ms", Traffic.round(baseline.step().p(99), 2))
                .put("during_p99_ms", Traffic.round(Math.max(loaded.step().p(99), evicting.step().p(99)), 2))
                .put("sweep_max_ms", Traffic.round(Math.max(loaded.window().sweepMaxSeconds(),
                        evicting.window().sweepMaxSeconds()) * 1000, 1))
                .put("rate", rate));
        Wait.on(idle.close(), Duration.ofSeconds(120));
        Wait.on(busy.close(), Duration.ofSeconds(30));
        Wait.on(probe.stop(), Duration.ofSeconds(30));
        return ok;
    }

    /** Fan-out traffic on the main thread while the server and the probe are watched on another. */
    private record Measured(Traffic.Step step, Window window) {
        String describe() {
            return String.format("fan-out %s; probe RTT %s; sweeps: %s", step.describe(), Probe.describe(window.rtt()),
                    window.sweepLine());
        }
    }

    private static Measured measure(ServerWatch server, Probe probe, Traffic traffic, int rate, Duration length,
            Duration drain) {
        CompletableFuture<Window> watching = CompletableFuture.supplyAsync(() -> Window.observe(server, probe, length, () -> false));
        Traffic.Step step = traffic.run(rate, length, drain);
        return new Measured(step, watching.join());
    }

    private static long closed(List<LoadClient.Conn> conns) {
        return conns.stream().filter(LoadClient.Conn::isClosed).count();
    }

    private static void check(boolean holds, String what) {
        print("  %s %s", holds ? "ok  " : "FAIL", what);
        ok &= holds;
    }

    private static void print(String format, Object... values) {
        System.out.printf("[sweep-load] " + format + "%n", values);
    }
}
