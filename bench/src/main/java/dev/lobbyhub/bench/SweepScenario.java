package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.vertx.core.Vertx;

/**
 * "sweep": many idle connections answering {@code health_ping}, watched over several sweeps against
 * a small baseline; then a share of them falls silent and must be evicted with 4004 in time.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.SweepScenario --port 18080 --pid SERVER_PID \
 *     [--connections 19000] [--baseline 100] [--sweeps 4] [--silent-percent 5] [--in-flight 256] \
 *     [--probes 8] [--probe-period-ms 25] [--per-address 10000] [--secret S]
 * </pre>
 */
public final class SweepScenario {

    private final Args args;
    private final Vertx vertx;
    private final LoadClient.Target target;
    private final ServerWatch server;
    private boolean ok = true;

    private SweepScenario(Args args, Vertx vertx) {
        this.args = args;
        this.vertx = vertx;
        this.target = args.target();
        this.server = new ServerWatch(target.port(), args.pid());
    }

    public static void main(String[] argv) {
        Vertx vertx = Vertx.vertx();
        boolean ok;
        try {
            ok = new SweepScenario(new Args(argv), vertx).run();
        } finally {
            Wait.on(vertx.close(), Duration.ofSeconds(30));
        }
        System.exit(ok ? 0 : 1);
    }

    private boolean run() {
        int total = args.integer("connections", 19_000);
        int baseline = args.integer("baseline", 100);
        int sweeps = args.integer("sweeps", 4);
        int silentPercent = args.integer("silent-percent", 5);
        int inFlight = args.integer("in-flight", 256);

        Probe probe = new Probe(vertx, target, args.integer("probe-period-ms", 25));
        Wait.on(probe.start(args.integer("probes", 8)), Duration.ofSeconds(30));
        long intervalMs = probe.welcome().getLong("ping_interval_ms");
        long staleMs = probe.welcome().getLong("stale_after_ms");
        Duration window = Duration.ofMillis(sweeps * intervalMs + intervalMs / 5);
        print("server: ping-interval %d ms, stale-after %d ms, collector %s; %d probe connections, ping every %d ms each",
                intervalMs, staleMs, server.collector(), probe.openConnections(), args.integer("probe-period-ms", 25));

        LoadClient base = new LoadClient(vertx, target, "base", 10, inFlight);
        Wait.on(base.connect(baseline), Duration.ofSeconds(60));
        Window.observe(server, probe, Duration.ofMillis(2 * intervalMs), () -> false); // warm-up, not reported
        Window quiet = Window.observe(server, probe, window, () -> false);
        print("baseline %d connections: probe RTT %s; sweeps: %s", base.welcomed(), Probe.describe(quiet.rtt()),
                quiet.sweepLine());
        Wait.on(base.close(), Duration.ofSeconds(30));
        int probes = probe.openConnections();
        Wait.until(() -> ServerWatch.value(server.metrics(), Window.ACTIVE) == probes, Duration.ofSeconds(10),
                Duration.ofMillis(100));
        long rssIdle = server.rssKb();
        long liveIdle = server.liveHeapKb();
        print("idle (%d probe connections only): RSS %d KiB, live heap %d KiB", probes, rssIdle, liveIdle);

        LoadClient load = new LoadClient(vertx, target, "load", 10, inFlight);
        long connectStart = System.nanoTime();
        Wait.on(load.connect(total), Duration.ofMinutes(10));
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        print("connect: %d welcomed, %d failed in %.1f s (%.0f/s, %d in flight, %d per address)", load.welcomed(),
                load.failed(), connectSeconds, load.welcomed() / connectSeconds, inFlight, target.perAddress());
        check(load.welcomed() == total, "all " + total + " connections welcomed");

        Window busy = Window.observe(server, probe, window, () -> false);
        long closedDuringBusy = load.conns().stream().filter(LoadClient.Conn::isClosed).count();
        print("%d connections: probe RTT %s; sweeps: %s", total, Probe.describe(busy.rtt()), busy.sweepLine());
        print("  gauge lobbyhub_connections_active min %.0f max %.0f (expected %d = %d + %d probes); stale closes %.0f;"
                + " client saw %d closes; health_pings received %d", busy.activeMin(), busy.activeMax(),
                total + probes, total, probes, busy.staleClosed(), closedDuringBusy, load.frames("health_ping"));
        check(busy.sweeps() >= 3, "at least 3 sweeps in the window");
        check(busy.staleClosed() == 0 && closedDuringBusy == 0, "no false evictions");
        check(busy.activeMin() == total + probes && busy.activeMax() == total + probes, "gauge steady");

        long rssBusy = server.rssKb();
        long liveBusy = server.liveHeapKb();
        print("memory: RSS %d KiB (+%d, %.1f KiB/conn), live heap %d KiB (+%d, %.1f KiB/conn)", rssBusy,
                rssBusy - rssIdle, (rssBusy - rssIdle) / (double) total, liveBusy, liveBusy - liveIdle,
                (liveBusy - liveIdle) / (double) total);

        if (silentPercent > 0) {
            evictSilent(load, probe, silentPercent, intervalMs, staleMs, total + probes);
        }
        Wait.on(load.close(), Duration.ofSeconds(120));
        Wait.on(probe.stop(), Duration.ofSeconds(30));
        print(ok ? "RESULT: all checks passed" : "RESULT: some checks FAILED");
        return ok;
    }

    /** Makes every (100 / percent)-th connection silent and watches the evictions. */
    private void evictSilent(LoadClient load, Probe probe, int percent, long intervalMs, long staleMs,
            int openBefore) {
        int every = 100 / percent;
        List<LoadClient.Conn> silent = load.conns().stream().filter(c -> c.index % every == 0).toList();
        List<LoadClient.Conn> answering = load.conns().stream().filter(c -> c.index % every != 0).toList();
        silent.forEach(c -> c.silent = true);
        long bound = staleMs + intervalMs;
        Window eviction = Window.observe(server, probe, Duration.ofMillis(bound + 2 * intervalMs + 5_000),
                () -> silent.stream().allMatch(LoadClient.Conn::isClosed));
        long evicted = silent.stream().filter(c -> c.closeCode == 4004 && "stale".equals(c.closeReason)).count();
        long otherSilentCloses = silent.stream().filter(c -> c.isClosed() && c.closeCode != 4004).count();
        long falseEvictions = answering.stream().filter(LoadClient.Conn::isClosed).count();
        long[] delays = silent.stream().filter(LoadClient.Conn::isClosed)
                .mapToLong(c -> (c.closedNanos - c.lastSentNanos) / 1_000_000).sorted().toArray();
        long late = Arrays.stream(delays).filter(d -> d > bound).count();
        Map<String, Double> after = server.metrics();
        print("silent %d%%: %d of %d closed 4004 stale (%d other closes), %d answering connections closed;"
                + " delay last frame -> close: min %d ms, median %d ms, max %d ms, %d later than stale-after +"
                + " ping-interval = %d ms", percent, evicted, silent.size(), otherSilentCloses, falseEvictions,
                delays.length == 0 ? -1 : delays[0], delays.length == 0 ? -1 : delays[delays.length / 2],
                delays.length == 0 ? -1 : delays[delays.length - 1], late, bound);
        print("  server: stale closes in window %.0f, gauge now %.0f (expected %d); probe RTT %s; sweeps: %s",
                eviction.staleClosed(), ServerWatch.value(after, Window.ACTIVE), openBefore - silent.size(),
                Probe.describe(eviction.rtt()), eviction.sweepLine());
        check(evicted == silent.size(), "every silent connection evicted with 4004");
        check(falseEvictions == 0, "no answering connection evicted");
        check(late == 0, "every eviction within stale-after + ping-interval");
        check(eviction.staleClosed() == silent.size(), "server counted each stale close once");
        check(ServerWatch.value(after, Window.ACTIVE) == openBefore - silent.size(), "gauge follows the evictions");
    }

    private void check(boolean holds, String what) {
        print("  %s %s", holds ? "ok  " : "FAIL", what);
        ok &= holds;
    }

    static void print(String format, Object... values) {
        System.out.printf("%tT %s%n", System.currentTimeMillis(), String.format(format, values));
    }
}
