package dev.lobbyhub.bench.report;

import static dev.lobbyhub.bench.report.RunResults.LOBBYHUB;
import static dev.lobbyhub.bench.report.RunResults.NAIVE;
import static dev.lobbyhub.bench.report.RunResults.VERTX;
import static dev.lobbyhub.bench.report.Table.NONE;
import static dev.lobbyhub.bench.report.Table.count;
import static dev.lobbyhub.bench.report.Table.divide;
import static dev.lobbyhub.bench.report.Table.number;
import static dev.lobbyhub.bench.report.Table.ratio;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import dev.lobbyhub.bench.report.RunResults.Idle;
import dev.lobbyhub.bench.report.RunResults.Slow;
import dev.lobbyhub.bench.report.RunResults.Step;
import dev.lobbyhub.bench.report.RunResults.Sweep;

/** lobbyhub's targets, each judged from figures of the same results file. */
final class Targets {

    /** Fan-out knee: the latency a step must stay under. */
    static final double KNEE_P99_MS = 50;

    record Row(String target, String measured, String ratio, String met) {
    }

    /**
     * The highest rate a server kept p99 under {@link #KNEE_P99_MS} and delivered everything at
     * ({@code rate} 0: at none); {@code top} when that is the highest rate tried, so the true knee is higher.
     */
    record Knee(long rate, boolean top) {
        static Optional<Knee> of(List<Step> steps) {
            if (steps.isEmpty()) {
                return Optional.empty();
            }
            long rate = steps.stream().filter(s -> s.fullyDelivered() && s.p99Ms() != null && s.p99Ms() < KNEE_P99_MS)
                    .mapToLong(Step::rate).max().orElse(0);
            return Optional.of(new Knee(rate, rate == steps.get(steps.size() - 1).rate()));
        }

        @Override
        public String toString() {
            return rate == 0 ? "none" : top ? "≥ " + count(rate) + " (not reached)" : count(rate);
        }
    }

    private Targets() {
    }

    static Table table(RunResults r) {
        Table table = new Table("target", "measured", "ratio", "met?");
        Stream.of(idleMemory(r), cpuPerDelivery(r), knee(r), sweep(r), slowReaders(r), clusterCpu(r), clusterP99(r))
                .forEach(t -> table.row(t.target(), t.measured(), t.ratio(), t.met()));
        return table;
    }

    private static Row idleMemory(RunResults r) {
        String target = "idle memory per connection (live heap) ≤ 1.1 × quarkus-naive";
        Optional<Idle> ours = RunResults.of(r.idle, LOBBYHUB).stream()
                .filter(l -> l.liveHeapKbPerConn() != null && peerHeap(r, l.connections()) != null)
                .reduce((a, b) -> b); // rows are by connections: the last is the largest
        if (ours.isEmpty()) {
            return notMeasured(target);
        }
        Idle l = ours.get();
        Double peer = peerHeap(r, l.connections());
        double x = l.liveHeapKbPerConn() / peer;
        return new Row(target, number(l.liveHeapKbPerConn()) + " vs " + number(peer) + " KB at "
                + count(l.connections()) + " connections", ratio(x), met(x <= 1.1));
    }

    private static Double peerHeap(RunResults r, long connections) {
        return RunResults.find(r.idle, NAIVE, connections).map(Idle::liveHeapKbPerConn).orElse(null);
    }

    private static Row cpuPerDelivery(RunResults r) {
        String target = "CPU per lobby delivery ≤ 1.3 × vertx (worst rate both fully delivered)";
        List<String> perRate = new ArrayList<>();
        double worst = 0;
        for (Step l : RunResults.of(r.fanout, LOBBYHUB)) {
            Optional<Step> v = RunResults.find(r.fanout, VERTX, l.rate());
            Double x = v.filter(s -> s.fullyDelivered() && l.fullyDelivered()).map(s -> divide(l.cpuUs(), s.cpuUs()))
                    .orElse(null);
            if (x != null) {
                perRate.add(ratio(x) + " @ " + count(l.rate()));
                worst = Math.max(worst, x);
            }
        }
        if (perRate.isEmpty()) {
            return notMeasured(target);
        }
        return new Row(target, String.join(", ", perRate), ratio(worst), met(worst <= 1.3));
    }

    private static Row knee(RunResults r) {
        String target = "fan-out knee (p99 < " + number(KNEE_P99_MS) + " ms, ≥ 99.9 % delivered) ≥ 0.75 × vertx";
        Optional<Knee> ours = Knee.of(RunResults.of(r.fanout, LOBBYHUB));
        Optional<Knee> theirs = Knee.of(RunResults.of(r.fanout, VERTX));
        if (ours.isEmpty() || theirs.isEmpty()) {
            return notMeasured(target);
        }
        Knee l = ours.get();
        Knee v = theirs.get();
        String measured = "lobbyhub " + l + ", vertx " + v;
        if (l.top() && v.top()) {
            return new Row(target, measured + ": not reached by either: the load client is the limit", "n/a", "n/a");
        }
        if (v.rate() == 0) {
            return new Row(target, measured, NONE, l.rate() > 0 ? met(true) : NONE);
        }
        double x = (double) l.rate() / v.rate();
        // A knee at the top rate is a lower bound: lobbyhub's bounds the ratio from below, vertx's from above.
        if (l.top()) {
            return new Row(target, measured, "≥ " + ratio(x), x >= 0.75 ? met(true) : NONE);
        }
        if (v.top()) {
            return new Row(target, measured, "≤ " + ratio(x), x < 0.75 ? met(false) : NONE);
        }
        return new Row(target, measured, ratio(x), met(x >= 0.75));
    }

    private static Row sweep(RunResults r) {
        String target = "health sweep: max stall ≤ 20 ms, p99 during ≤ 1.5 × baseline, no false evictions, every silent one evicted in time";
        Optional<Sweep> row = RunResults.largest(r.sweep, LOBBYHUB);
        if (row.isEmpty() || Stream.of(row.get().maxStallMs(), row.get().baselineP99Ms(), row.get().duringP99Ms(),
                row.get().falseEvictions(), row.get().silent(), row.get().evictedInTime()).anyMatch(v -> v == null)) {
            return notMeasured(target);
        }
        Sweep s = row.get();
        double x = s.duringP99Ms() / s.baselineP99Ms();
        String measured = "max stall " + number(s.maxStallMs()) + " ms; p99 " + number(s.baselineP99Ms()) + " → "
                + number(s.duringP99Ms()) + " ms; " + count(s.falseEvictions()) + " false evictions; "
                + count(s.evictedInTime()) + " of " + count(s.silent()) + " silent evicted in time";
        return new Row(target, measured, ratio(x), met(s.maxStallMs() <= 20 && x <= 1.5
                && s.falseEvictions() == 0 && s.evictedInTime().equals(s.silent())));
    }

    private static Row slowReaders(RunResults r) {
        String target = "slow readers: closed within 5 s, memory growth ≤ 50 MB, healthy p99 ≤ 1.2 × baseline";
        Optional<Slow> row = RunResults.largest(r.slow, LOBBYHUB);
        if (row.isEmpty() || Stream.of(row.get().memoryGrowthMb(), row.get().baselineP99Ms(), row.get().healthyP99Ms())
                .anyMatch(v -> v == null)) {
            return notMeasured(target);
        }
        Slow s = row.get();
        double x = s.healthyP99Ms() / s.baselineP99Ms();
        String closed = s.maxCloseS() == null ? "never closed"
                : count(s.slowClosed()) + " of " + count(s.slowReaders()) + " closed within " + number(s.maxCloseS()) + " s";
        String measured = closed + "; memory +" + number(s.memoryGrowthMb()) + " MB; healthy p99 "
                + number(s.healthyP99Ms()) + " vs " + number(s.baselineP99Ms()) + " ms";
        // max_close_s covers only the readers that were closed: any left open fails the target.
        boolean allClosed = s.slowClosed() == null || s.slowReaders() == null || s.slowClosed() >= s.slowReaders();
        return new Row(target, measured, ratio(x), met(allClosed && s.maxCloseS() != null && s.maxCloseS() <= 5
                && s.memoryGrowthMb() <= 50 && x <= 1.2));
    }

    /** Cluster rates (deliveries/s over both nodes) the cluster targets cover: up to this per node. */
    static final long CLUSTER_TARGET_PER_NODE = 40_000;

    /**
     * Cluster steps with the single-node S3 step of the same total rate, both fully delivered, up to
     * {@link #CLUSTER_TARGET_PER_NODE} per node.
     */
    static List<RunResults.Cluster> clusterComparable(RunResults r) {
        return RunResults.of(r.cluster, LOBBYHUB).stream()
                .filter(c -> c.rate() <= 2 * CLUSTER_TARGET_PER_NODE && c.fullyDelivered())
                .filter(c -> RunResults.find(r.fanout, LOBBYHUB, c.rate()).filter(Step::fullyDelivered).isPresent())
                .toList();
    }

    private static Row clusterCpu(RunResults r) {
        String target = "cluster (2 nodes + Redis): CPU per delivery on each node ≤ 1.5 × single node (same total rate)";
        List<String> perRate = new ArrayList<>();
        double worst = 0;
        for (RunResults.Cluster c : clusterComparable(r)) {
            Double x = divide(c.worseNodeCpuUs(), RunResults.find(r.fanout, LOBBYHUB, c.rate()).get().cpuUs());
            if (x != null) {
                perRate.add(ratio(x) + " @ " + count(c.rate()));
                worst = Math.max(worst, x);
            }
        }
        if (perRate.isEmpty()) {
            return notMeasured(target);
        }
        return new Row(target, String.join(", ", perRate), ratio(worst), met(worst <= 1.5));
    }

    private static Row clusterP99(RunResults r) {
        String target = "cluster: cross-node p99 ≤ 2 × single-node p99 up to " + count(CLUSTER_TARGET_PER_NODE)
                + " deliveries/s per node";
        List<String> perRate = new ArrayList<>();
        double worst = 0;
        for (RunResults.Cluster c : clusterComparable(r)) {
            Double x = divide(c.crossP99Ms(), RunResults.find(r.fanout, LOBBYHUB, c.rate()).get().p99Ms());
            if (x != null) {
                perRate.add(ratio(x) + " @ " + count(c.rate()));
                worst = Math.max(worst, x);
            }
        }
        if (perRate.isEmpty()) {
            return notMeasured(target);
        }
        return new Row(target, String.join(", ", perRate), ratio(worst), met(worst <= 2));
    }

    private static Row notMeasured(String target) {
        return new Row(target, "not measured", NONE, NONE);
    }

    private static String met(boolean met) {
        return met ? "✅" : "❌";
    }
}
