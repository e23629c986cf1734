package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.HdrHistogram.Histogram;

/**
 * A stretch of time watched from outside: the probe's round trips, the sweeps the server ran, the
 * lowest and highest active-connection gauge and stale-eviction count seen (scraped every second),
 * and the peak resident set.
 */
record Window(Duration length, Histogram rtt, Histogram pingGaps, double sweeps, double sweepSumSeconds, double sweepMaxSeconds,
        double activeMin, double activeMax, double staleClosed, double sendFailed, long rssMaxKb) {

    static final String ACTIVE = "lobbyhub_connections_active";
    static final String STALE = "lobbyhub_connections_closed_total{reason=\"stale\"}";
    static final String SWEEP = "lobbyhub_sweep_duration_seconds";
    static final String SEND_FAILED = "lobbyhub_messages_dropped_total{reason=\"send_failed\"}";

    /** Watches for {@code limit}, or less once {@code done} holds. */
    static Window observe(ServerWatch server, Probe probe, Duration limit, BooleanSupplier done) {
        Map<String, Double> before = server.metrics();
        probe.window();
        probe.healthPingGaps();
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        double activeMin = Double.MAX_VALUE;
        double activeMax = 0;
        long rssMax = server.rssKb();
        Map<String, Double> last = before;
        while (System.nanoTime() < deadline && !done.getAsBoolean()) {
            Wait.pause(Duration.ofMillis(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))));
            last = server.metrics();
            activeMin = Math.min(activeMin, ServerWatch.value(last, ACTIVE));
            activeMax = Math.max(activeMax, ServerWatch.value(last, ACTIVE));
            rssMax = Math.max(rssMax, server.rssKb());
        }
        Histogram rtt = probe.window();
        return new Window(Duration.ofNanos(System.nanoTime() - start), rtt, probe.healthPingGaps(),
                delta(before, last, SWEEP + "_count"), delta(before, last, SWEEP + "_sum"),
                ServerWatch.value(last, SWEEP + "_max"), activeMin, activeMax, delta(before, last, STALE),
                delta(before, last, SEND_FAILED), rssMax);
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        return ServerWatch.value(after, key) - ServerWatch.value(before, key);
    }

    String sweepLine() {
        return String.format("%d sweeps, mean %.2f ms, max %.2f ms (sum %.3f s); health_ping gap on one"
                + " connection min %d / max %d ms; send_failed drops %.0f", (long) sweeps,
                sweeps == 0 ? 0 : sweepSumSeconds * 1000 / sweeps, sweepMaxSeconds * 1000, sweepSumSeconds,
                pingGaps.getTotalCount() == 0 ? 0 : pingGaps.getMinValue(), pingGaps.getMaxValue(), sendFailed);
    }
}
