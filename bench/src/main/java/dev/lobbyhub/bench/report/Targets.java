package dev.lobbyhub.bench.report;

import static dev.lobbyhub.bench.report.RunResults.LOBBYHUB;
import static dev.lobbyhub.bench.report.RunResults.LOGOFF;
import static dev.lobbyhub.bench.report.Table.NONE;
import static dev.lobbyhub.bench.report.Table.count;
import static dev.lobbyhub.bench.report.Table.divide;
import static dev.lobbyhub.bench.report.Table.number;
import static dev.lobbyhub.bench.report.Table.ratio;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.lobbyhub.bench.report.RunResults.Cluster;
import dev.lobbyhub.bench.report.RunResults.Idle;
import dev.lobbyhub.bench.report.RunResults.RateStep;
import dev.lobbyhub.bench.report.RunResults.Rows;
import dev.lobbyhub.bench.report.RunResults.Slow;
import dev.lobbyhub.bench.report.RunResults.Step;
import dev.lobbyhub.bench.report.RunResults.Storm;
import dev.lobbyhub.bench.report.RunResults.Sweep;

/**
 * lobbyhub's current targets ({@code bench/targets.properties}, read through {@link Limits}), each
 * judged from figures of the same results file: the medians of its rounds, and for a ratio against
 * the peer the median of the per-round ratios, with its range.
 */
final class Targets {

    record Row(String target, String measured, String ratio, String met) {
    }

    /** Fan-out knee: the latency a step must stay under. */
    static double kneeP99Ms() {
        return Limits.number("knee.p99-ms");
    }

    /**
     * The highest rate a server kept p99 under {@link #kneeP99Ms()} and delivered everything at
     * ({@code rate} 0: at none); {@code top} when that is the highest rate tried, so the true knee is higher.
     */
    record Knee(long rate, boolean top) {
        static Optional<Knee> of(List<Step> steps) {
            if (steps.isEmpty()) {
                return Optional.empty();
            }
            double limit = kneeP99Ms();
            long rate = steps.stream().filter(s -> s.fullyDelivered() && s.p99Ms() != null && s.p99Ms() < limit)
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

    /** Which targets these are, from targets.properties ("performance round 2"). */
    static String name() {
        return Limits.text("name");
    }

    /** The server the ratio targets compare lobbyhub with. */
    static String peer() {
        return Limits.text("peer");
    }

    static Table table(RunResults r) {
        Table table = new Table("target", "measured", "ratio (worst)", "met?");
        Stream.of(idleMemory(r), cpu(r.fanout, "lobby delivery", "cpu.lobby.max-ratio"),
                        cpu(r.direct, "direct message", "cpu.direct.max-ratio"), p99(r), sweep(r), slowReaders(r),
                        clusterCpu(r), clusterP99(r), logCpu(r), logClusterCpu(r), logClusterSameP99(r), storm(r))
                .forEach(t -> table.row(t.target(), t.measured(), t.ratio(), t.met()));
        return table;
    }

    private static Row idleMemory(RunResults r) {
        double limit = Limits.number("heap.max-ratio");
        String peer = peer();
        String target = "live heap per idle connection ≤ " + number(limit) + " × " + peer
                + " (the largest connection count both have)";
        Optional<Idle> ours = RunResults.of(r.idle, LOBBYHUB).stream()
                .filter(l -> l.liveHeapKbPerConn() != null && peerHeap(r, peer, l.connections()) != null)
                .reduce((a, b) -> b); // rows are by connections: the last is the largest
        if (ours.isEmpty()) {
            return notMeasured(target);
        }
        long connections = ours.get().connections();
        Spread x = Spread.ratio(r.idle, LOBBYHUB, peer, connections, Idle::liveHeapKbPerConn);
        if (x == null) {
            return notMeasured(target);
        }
        String measured = number(ours.get().liveHeapKbPerConn()) + " vs " + number(peerHeap(r, peer, connections))
                + " KB at " + count(connections) + " connections: " + Spread.ratioCell(x)
                + flags(r.idle, connections, Idle::liveHeapKbPerConn, peer);
        return new Row(target, measured, ratio(x.median()), met(x.median() <= limit));
    }

    private static Double peerHeap(RunResults r, String peer, long connections) {
        return RunResults.find(r.idle, peer, connections).map(Idle::liveHeapKbPerConn).orElse(null);
    }

    private static Row cpu(Rows<Step> rows, String what, String key) {
        double limit = Limits.number(key);
        String target = "CPU per " + what + " ≤ " + number(limit) + " × " + peer() + " at every rate";
        return perRate(target, rows, Step::cpuUs, limit, Long.MAX_VALUE);
    }

    private static Row p99(RunResults r) {
        double limit = Limits.number("p99.max-ratio");
        long upTo = Math.round(Limits.number("p99.up-to-rate"));
        String target = "lobby fan-out p99 ≤ " + number(limit) + " × " + peer() + " at every rate up to " + count(upTo)
                + " deliveries/s";
        return perRate(target, r.fanout, Step::p99Ms, limit, upTo);
    }

    // The lobby log against the same jar with it off (lobbyhub-logoff), run side by side.
    private static Row logCpu(RunResults r) {
        double limit = Limits.number("log.cpu.max-ratio");
        String target = "lobby log, single node: CPU per lobby delivery ≤ " + number(limit) + " × log off (" + LOGOFF
                + ") at every rate";
        return perRate(target, r.fanout, LOGOFF, Step::cpuUs, Compare.RATIO, limit, 0, Long.MAX_VALUE);
    }

    private static Row logClusterCpu(RunResults r) {
        double limit = Limits.number("log.cluster.max-node-cpu-ratio");
        long from = Math.round(Limits.number("log.cluster.cpu-from-rate"));
        long upTo = Math.round(Limits.number("log.cluster.cpu-up-to-rate"));
        String target = "lobby log, cluster: CPU per delivery on the busier node ≤ " + number(limit) + " × log off ("
                + LOGOFF + ") at " + count(from) + "–" + count(upTo) + " deliveries/s over both nodes";
        return perRate(target, r.cluster, LOGOFF, Cluster::worseNodeCpuUs, Compare.RATIO, limit, from, upTo);
    }

    private static Row logClusterSameP99(RunResults r) {
        double limit = Limits.number("log.cluster.max-same-p99-extra-ms");
        long upTo = Math.round(Limits.number("log.cluster.same-p99-up-to-rate"));
        String target = "lobby log, cluster: p99 for members on the sender's node ≤ log off (" + LOGOFF + ") + "
                + number(limit) + " ms up to " + count(upTo) + " deliveries/s over both nodes";
        return perRate(target, r.cluster, LOGOFF, Cluster::sameP99Ms, Compare.DIFFERENCE, limit, 0, upTo);
    }

    /** How a per-rate target sets lobbyhub against the other server: each round's ratio, or difference. */
    private enum Compare {
        RATIO, DIFFERENCE;

        <T extends Record> Spread of(Rows<T> rows, String peer, long rate, Function<T, Double> figure) {
            return this == RATIO ? Spread.ratio(rows, LOBBYHUB, peer, rate, figure)
                    : Spread.difference(rows, LOBBYHUB, peer, rate, figure);
        }

        String cell(Spread x) {
            return this == RATIO ? Spread.ratioCell(x) : Spread.differenceCell(x);
        }

        String worst(double x) {
            return this == RATIO ? ratio(x) : Spread.signedMs(x);
        }
    }

    private static Row perRate(String target, Rows<Step> rows, Function<Step, Double> figure, double limit, long upTo) {
        return perRate(target, rows, peer(), figure, Compare.RATIO, limit, 0, upTo);
    }

    /**
     * A ratio (or difference) target judged at every rate from {@code from} to {@code upTo} that
     * lobbyhub and the other server both have: the median of the rounds' ratios (differences) must be
     * within the limit. A step lobbyhub could not deliver in full fails; one the other server could not
     * (and lobbyhub could) passes; one neither could is not judged.
     */
    private static <T extends Record & RateStep> Row perRate(String target, Rows<T> rows, String peer,
                                                             Function<T, Double> figure, Compare compare, double limit,
                                                             long from, long upTo) {
        List<String> steps = new ArrayList<>();
        int judged = 0;
        int met = 0;
        Double worst = null;
        for (T l : RunResults.of(rows, LOBBYHUB)) {
            Optional<T> v = RunResults.find(rows, peer, l.rate());
            if (l.rate() < from || l.rate() > upTo || v.isEmpty()) {
                continue;
            }
            String at = count(l.rate()) + ": ";
            String flags = flags(rows, l.rate(), figure, peer);
            if (l.shortOfDelivery() && v.get().shortOfDelivery()) {
                steps.add(at + "both short of delivery, not judged" + flags);
                continue;
            }
            if (l.shortOfDelivery()) {
                judged++;
                steps.add(at + "lobbyhub short of delivery " + met(false) + flags);
                continue;
            }
            if (v.get().shortOfDelivery()) {
                judged++;
                met++;
                steps.add(at + peer + " short of delivery, lobbyhub not " + met(true) + flags);
                continue;
            }
            Spread x = compare.of(rows, peer, l.rate(), figure);
            if (x == null) {
                continue;
            }
            judged++;
            boolean ok = x.median() <= limit;
            met += ok ? 1 : 0;
            worst = worst == null ? x.median() : Math.max(worst, x.median());
            steps.add(at + compare.cell(x) + " " + met(ok) + flags);
        }
        if (judged == 0) {
            return steps.isEmpty() ? notMeasured(target) : new Row(target, String.join("; ", steps), NONE, NONE);
        }
        return new Row(target, String.join("; ", steps), worst == null ? NONE : compare.worst(worst),
                verdict(met, judged));
    }

    /** " ⚠ vertx spread 31 %" for each of lobbyhub and the peer whose figure spread over the limit across rounds. */
    private static <T extends Record> String flags(Rows<T> rows, long count, Function<T, Double> figure, String peer) {
        StringBuilder flags = new StringBuilder();
        for (String server : List.of(LOBBYHUB, peer)) {
            Spread s = Spread.of(rows, server, count, figure);
            if (s != null && s.flagged()) {
                flags.append(String.format(Locale.ROOT, " ⚠ %s spread %d %%", server, Math.round(100 * s.spread())));
            }
        }
        return flags.toString();
    }

    private static String flag(Spread s) {
        return s == null ? "" : s.flag();
    }

    private static Row sweep(RunResults r) {
        double steadyLimit = Limits.number("sweep.max-stall-ms");
        double evictionLimit = Limits.number("sweep.max-stall-eviction-ms");
        String target = "health sweep (largest connection count, 5 % falling silent): probe round trip ≤ "
                + number(steadyLimit) + " ms with all answering, ≤ " + number(evictionLimit)
                + " ms during the mass eviction; no false evictions; every silent one evicted in time";
        Optional<Sweep> row = RunResults.largest(r.sweep, LOBBYHUB);
        if (row.isEmpty() || row.get().maxStallMs() == null) {
            return notMeasured(target);
        }
        Sweep s = row.get();
        List<Sweep> rounds = List.copyOf(r.sweep.rounds(LOBBYHUB, s.connections()).values());
        // Correctness holds in every round, not in the median one.
        boolean noFalse = rounds.stream().allMatch(x -> x.falseEvictions() != null && x.falseEvictions() == 0);
        boolean allInTime = rounds.stream().allMatch(x -> x.silent() != null && x.silent().equals(x.evictedInTime()));
        String evictions = (noFalse ? "0 false evictions" : "false evictions in some round ("
                + count(rounds.stream().mapToDouble(x -> x.falseEvictions() == null ? 0 : x.falseEvictions()).max()
                .orElse(0)) + " at most)") + "; " + count(s.evictedInTime()) + " of " + count(s.silent())
                + " silent evicted in time" + (rounds.size() > 1 ? (allInTime ? " (all, every round)" : " (not in every round)") : "");
        String stalls;
        Boolean stallsMet;
        if (s.steadyStallMs() != null && s.evictionStallMs() != null) {
            stalls = "probe round trip max " + number(s.steadyStallMs()) + " ms with all answering"
                    + flag(Spread.of(r.sweep, LOBBYHUB, s.connections(), Sweep::steadyStallMs)) + ", "
                    + number(s.evictionStallMs()) + " ms during the eviction"
                    + flag(Spread.of(r.sweep, LOBBYHUB, s.connections(), Sweep::evictionStallMs));
            stallsMet = s.steadyStallMs() <= steadyLimit && s.evictionStallMs() <= evictionLimit;
        } else { // results from before the two were recorded apart: only the longer is known
            stalls = "probe round trip max " + number(s.maxStallMs()) + " ms (not split into with all answering and"
                    + " during the eviction)";
            stallsMet = s.maxStallMs() <= steadyLimit ? Boolean.TRUE : s.maxStallMs() > evictionLimit ? Boolean.FALSE : null;
        }
        String measured = "at " + count(s.connections()) + ": " + stalls + "; " + evictions;
        boolean correct = noFalse && allInTime;
        String verdict = !correct ? met(false) : stallsMet == null ? NONE : met(stallsMet);
        return new Row(target, measured, NONE, verdict);
    }

    /** The reconnect storm against lobbyhub with its pacing defaults (SPEC §14, from its issue). */
    private static Row storm(RunResults r) {
        double backFactor = Limits.number("storm.max-back-factor");
        double p99Limit = Limits.number("storm.max-p99-ratio");
        double refusalLimit = Limits.number("storm.max-refusals");
        String target = "reconnect storm (paced): every dropped player back within " + number(backFactor)
                + " × players ÷ handshakes-per-second, in its held seat; live p99 during the storm ≤ " + number(p99Limit)
                + " × before; nobody refused more than " + count(refusalLimit) + " times";
        Optional<Storm> row = RunResults.largest(r.storm, LOBBYHUB);
        if (row.isEmpty() || row.get().handshakesPerSecond() == null || row.get().handshakesPerSecond() <= 0
                || row.get().baselineP99Ms() == null || row.get().stormP99Ms() == null) {
            return notMeasured(target);
        }
        Storm s = row.get();
        List<Storm> rounds = List.copyOf(r.storm.rounds(LOBBYHUB, s.connections()).values());
        double bound = backFactor * s.connections() / s.handshakesPerSecond();
        // Every player back in its held seat and the refusals per player hold in every round; time and p99 are medians.
        boolean seated = rounds.stream().allMatch(Storm::allBackSeated);
        double mostRefused = rounds.stream().mapToDouble(x -> x.refusedMax() == null ? Double.MAX_VALUE : x.refusedMax())
                .max().orElse(Double.MAX_VALUE);
        Spread p99 = Spread.of(rounds.stream().map(x -> divide(x.stormP99Ms(), x.baselineP99Ms())).toList());
        boolean inTime = seated && s.back100S() != null && s.back100S() <= bound;
        String measured = count(s.connections()) + " dropped: " + (s.back100S() == null ? "not all back"
                : "all back after " + number(s.back100S()) + " s") + " (bound " + number(bound) + " s)"
                + flag(Spread.of(r.storm, LOBBYHUB, s.connections(), Storm::back100S)) + (seated
                ? ", each in its held seat" : ", NOT all in their held seats in every round") + "; live p99 "
                + number(s.stormP99Ms()) + " vs " + number(s.baselineP99Ms()) + " ms: " + Spread.ratioCell(p99)
                + "; at most " + count(mostRefused) + " refusals for one player";
        boolean met = inTime && p99 != null && p99.median() <= p99Limit && mostRefused <= refusalLimit;
        return new Row(target, measured, p99 == null ? NONE : ratio(p99.median()), met(met));
    }

    private static Row slowReaders(RunResults r) {
        double closeLimit = Limits.number("slow.max-close-s");
        double memoryLimit = Limits.number("slow.max-memory-growth-mb");
        double p99Limit = Limits.number("slow.max-healthy-p99-ratio");
        String target = "slow readers: all closed within " + number(closeLimit) + " s, memory growth ≤ "
                + number(memoryLimit) + " MB, healthy p99 ≤ " + number(p99Limit) + " × baseline";
        Optional<Slow> row = RunResults.largest(r.slow, LOBBYHUB);
        if (row.isEmpty() || Stream.of(row.get().memoryGrowthMb(), row.get().baselineP99Ms(), row.get().healthyP99Ms())
                .anyMatch(v -> v == null)) {
            return notMeasured(target);
        }
        Slow s = row.get();
        List<Slow> rounds = List.copyOf(r.slow.rounds(LOBBYHUB, s.connections()).values());
        // max_close_s covers only the readers that were closed: any left open, in any round, fails the target.
        boolean allClosed = rounds.stream().allMatch(x -> x.maxCloseS() != null
                && (x.slowClosed() == null || x.slowReaders() == null || x.slowClosed() >= x.slowReaders()));
        Spread x = Spread.of(rounds.stream().map(y -> divide(y.healthyP99Ms(), y.baselineP99Ms())).toList());
        String closed = !allClosed ? "not all closed" + (rounds.size() > 1 ? " in every round" : "")
                : count(s.slowClosed()) + " of " + count(s.slowReaders()) + " closed within " + number(s.maxCloseS()) + " s"
                + flag(Spread.of(r.slow, LOBBYHUB, s.connections(), Slow::maxCloseS));
        String measured = closed + "; memory +" + number(s.memoryGrowthMb()) + " MB"
                + flag(Spread.of(r.slow, LOBBYHUB, s.connections(), Slow::memoryGrowthMb)) + "; healthy p99 "
                + number(s.healthyP99Ms()) + " vs " + number(s.baselineP99Ms()) + " ms: " + Spread.ratioCell(x)
                + flag(Spread.of(r.slow, LOBBYHUB, s.connections(), Slow::healthyP99Ms));
        boolean ok = allClosed && s.maxCloseS() <= closeLimit && s.memoryGrowthMb() <= memoryLimit
                && x != null && x.median() <= p99Limit;
        return new Row(target, measured, x == null ? NONE : ratio(x.median()), met(ok));
    }

    /** Cluster rates (deliveries/s over both nodes) the cluster targets cover: up to this per node. */
    static long clusterTargetPerNode() {
        return Math.round(Limits.number("cluster.up-to-rate-per-node"));
    }

    /**
     * Cluster steps with the single-node S3 step of the same total rate, both fully delivered, up to
     * {@link #clusterTargetPerNode()} per node.
     */
    static List<RunResults.Cluster> clusterComparable(RunResults r) {
        long upTo = 2 * clusterTargetPerNode();
        return RunResults.of(r.cluster, LOBBYHUB).stream()
                .filter(c -> c.rate() <= upTo && c.fullyDelivered())
                .filter(c -> RunResults.find(r.fanout, LOBBYHUB, c.rate()).filter(Step::fullyDelivered).isPresent())
                .toList();
    }

    // The cluster runs and the single node's S3 runs are different scenarios, not run next to each other:
    // their ratios are of the medians.
    private static Row clusterCpu(RunResults r) {
        double limit = Limits.number("cluster.max-node-cpu-ratio");
        String target = "cluster (2 nodes + Redis): CPU per delivery on each node ≤ " + number(limit)
                + " × single node (same total rate)";
        return clusterRatio(r, target, limit, RunResults.Cluster::worseNodeCpuUs, Step::cpuUs);
    }

    private static Row clusterP99(RunResults r) {
        double limit = Limits.number("cluster.max-cross-p99-ratio");
        String target = "cluster: cross-node p99 ≤ " + number(limit) + " × single-node p99 up to "
                + count(clusterTargetPerNode()) + " deliveries/s per node";
        return clusterRatio(r, target, limit, RunResults.Cluster::crossP99Ms, Step::p99Ms);
    }

    private static Row clusterRatio(RunResults r, String target, double limit,
                                    Function<RunResults.Cluster, Double> clusterFigure, Function<Step, Double> singleFigure) {
        List<String> perRate = new ArrayList<>();
        double worst = 0;
        int met = 0;
        for (RunResults.Cluster c : clusterComparable(r)) {
            Double x = divide(clusterFigure.apply(c), singleFigure.apply(RunResults.find(r.fanout, LOBBYHUB, c.rate()).get()));
            if (x != null) {
                perRate.add(count(c.rate()) + ": " + ratio(x) + " " + met(x <= limit)
                        + flag(Spread.of(r.cluster, LOBBYHUB, c.rate(), clusterFigure)));
                worst = Math.max(worst, x);
                met += x <= limit ? 1 : 0;
            }
        }
        if (perRate.isEmpty()) {
            return notMeasured(target);
        }
        return new Row(target, String.join("; ", perRate), ratio(worst), verdict(met, perRate.size()));
    }

    /** ✅ when every rate judged meets the target, else ❌ with how many did. */
    private static String verdict(int met, int judged) {
        return met == judged ? met(true) : met(false) + " (met at " + met + " of " + judged + " rates)";
    }

    private static Row notMeasured(String target) {
        return new Row(target, "not measured", NONE, NONE);
    }

    static String met(boolean met) {
        return met ? "✅" : "❌";
    }
}
