package dev.lobbyhub.bench.report;

import static dev.lobbyhub.bench.report.RunResults.LOBBYHUB;
import static dev.lobbyhub.bench.report.RunResults.LOGOFF;
import static dev.lobbyhub.bench.report.Table.NONE;
import static dev.lobbyhub.bench.report.Table.count;
import static dev.lobbyhub.bench.report.Table.divide;
import static dev.lobbyhub.bench.report.Table.number;
import static dev.lobbyhub.bench.report.Table.percent;
import static dev.lobbyhub.bench.report.Table.ratio;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.lobbyhub.bench.report.RunResults.Handshake;
import dev.lobbyhub.bench.report.RunResults.Idle;
import dev.lobbyhub.bench.report.RunResults.Key;
import dev.lobbyhub.bench.report.RunResults.Rows;
import dev.lobbyhub.bench.report.RunResults.Slow;
import dev.lobbyhub.bench.report.RunResults.Startup;
import dev.lobbyhub.bench.report.RunResults.Step;
import dev.lobbyhub.bench.report.RunResults.Storm;
import dev.lobbyhub.bench.report.RunResults.Sweep;
import dev.lobbyhub.bench.report.SvgChart.Point;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Turns a results file (JSONL, one scenario result per line) into a markdown report with SVG charts.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.report.Report [--targets bench/targets.properties] \
 *     results.jsonl docs/benchmarks.md docs/benchmarks
 * </pre>
 * The markdown links the charts by their path relative to its own folder. Without {@code --targets}
 * the targets are the jar's copy of {@code bench/targets.properties}.
 */
public final class Report {

    static final String NOTES = "performance.md";

    private final RunResults r;
    private final StringBuilder md = new StringBuilder();

    private Report(RunResults r) {
        this.r = r;
    }

    public static void main(String[] argv) throws IOException {
        List<String> args = new ArrayList<>(List.of(argv));
        if (args.size() == 5 && args.get(0).equals("--targets")) {
            Path targets = Path.of(args.get(1));
            if (!Files.isRegularFile(targets)) {
                System.err.println("no such file: " + targets);
                System.exit(2);
            }
            Limits.use(targets);
            args = args.subList(2, 5);
        }
        if (args.size() != 3) {
            System.err.println("usage: Report [--targets <targets.properties>] <results.jsonl> <out.md> <chart-dir>");
            System.exit(2);
        }
        Path in = Path.of(args.get(0));
        if (!Files.isRegularFile(in)) {
            System.err.println("no such file: " + in);
            System.exit(2);
        }
        Path out = Path.of(args.get(1)).toAbsolutePath().normalize();
        Path chartDir = Path.of(args.get(2)).toAbsolutePath().normalize();
        RunResults results = RunResults.read(in);

        Files.createDirectories(chartDir);
        String prefix = out.getParent().relativize(chartDir).toString().replace(File.separatorChar, '/');
        Map<String, String> links = new LinkedHashMap<>(); // link → alt text
        for (Map.Entry<String, SvgChart> chart : charts(results).entrySet()) {
            Files.writeString(chartDir.resolve(chart.getKey()), chart.getValue().render());
            String link = (prefix.isEmpty() ? "" : prefix + "/") + chart.getKey();
            links.put(link.replace(" ", "%20"), chart.getValue().title());
        }
        Files.createDirectories(out.getParent());
        // Hand-written analysis next to the report (what each optimisation bought) gets a link.
        boolean notes = Files.exists(out.getParent().resolve(NOTES));
        Files.writeString(out, new Report(results).markdown(links, in.getFileName().toString(), notes));
        System.out.printf("wrote %s and %d charts in %s%n", out, links.size(), chartDir);
    }

    private String markdown(Map<String, String> charts, String rawName, boolean notes) {
        md.append("# lobbyhub benchmarks\n\n");
        if (Boolean.TRUE.equals(r.meta.getValue("busy"))) {
            md.append("**Warning: the machine was busy during this run; these numbers are not comparable"
                    + " with other runs.**\n\n");
        }
        md.append(machine()).append("\n\n");
        int rounds = r.rounds();
        if (rounds > 1) {
            md.append("Each server ran each scenario ").append(rounds).append(" times, interleaved (lobbyhub, ")
                    .append("the peers, lobbyhub, the peers …), each time a fresh process. Every figure below is the")
                    .append(" median over those rounds; a ratio \"lobbyhub ÷ this\" is the median of the per-round")
                    .append(" ratios (each round of lobbyhub over the other server's round next to it), with its range")
                    .append(" in brackets. ⚠ marks a figure whose spread over the rounds, (max − min) ÷ median, is over ")
                    .append(Math.round(100 * Limits.number("spread.flag-above"))).append(" %.\n\n");
        }
        section("Targets", "lobbyhub's current targets (" + Targets.name() + ", `bench/targets.properties`), each"
                + " judged from figures of this run only" + (rounds > 1 ? " (medians of the rounds)" : "")
                + "; a target over several rates lists each rate with its ratio.", Targets.table(r));
        if (!r.idle.isEmpty()) {
            idle();
        }
        if (!r.handshake.isEmpty()) {
            handshakes();
        }
        if (!r.fanout.isEmpty()) {
            steps("S3 lobby fan-out", "Members in lobbies of 10, one sender per lobby, open loop at a target"
                    + " rate of deliveries/s; latency from the intended send time (no coordinated omission), server"
                    + " CPU (utime + stime) per delivery.", r.fanout);
        }
        if (!r.direct.isEmpty()) {
            steps("S4 direct messages", "Direct messages to one member, open loop at a target rate of"
                    + " deliveries/s; latency and CPU as in S3.", r.direct);
        }
        if (!r.sweep.isEmpty()) {
            sweep();
        }
        if (!r.startup.isEmpty()) {
            startup();
        }
        if (!r.slow.isEmpty()) {
            slow();
        }
        if (!r.cluster.isEmpty()) {
            cluster();
        }
        if (!r.storm.isEmpty()) {
            storm();
        }
        if (r.servers().contains(LOBBYHUB) && r.servers().contains(LOGOFF)) {
            lobbyLog();
        }
        if (!charts.isEmpty()) {
            md.append("## Charts\n\n");
            charts.forEach((link, title) -> md.append("![").append(title).append("](").append(link).append(")\n\n"));
        }
        if (notes) {
            md.append("What each optimisation bought, and why the remaining gaps: [").append(NOTES).append("](")
                    .append(NOTES).append(").\n\n");
        }
        md.append("How to reproduce: `bench/run.sh`.\n\n");
        md.append("Raw data: `").append(rawName).append("`.\n");
        return md.toString();
    }

    /** Date, machine, versions and command from the meta line. */
    private String machine() {
        if (r.meta.isEmpty()) {
            return "The results file has no meta line: date, machine and versions are unknown.";
        }
        StringBuilder p = new StringBuilder("Measured");
        meta("date").ifPresent(d -> p.append(' ').append(d));
        Optional<String> cores = meta("cores");
        Optional<String> cpu = meta("cpu");
        if (cores.isPresent() || cpu.isPresent()) {
            p.append(" on ").append(cores.map(c -> c + " cores").orElse("a machine"));
            cpu.ifPresent(c -> p.append(" (").append(c).append(')'));
        }
        p.append('.');
        List<String> versions = new ArrayList<>();
        meta("java").ifPresent(v -> versions.add("Java " + v));
        meta("node").ifPresent(v -> versions.add("Node " + v));
        meta("bun").ifPresent(v -> versions.add("Bun " + v));
        meta("quarkus").ifPresent(v -> versions.add("Quarkus " + v));
        if (!versions.isEmpty()) {
            p.append(' ').append(String.join(", ", versions)).append('.');
        }
        meta("ulimit_hn").ifPresent(v -> p.append(" `ulimit -Hn` ").append(v).append('.'));
        meta("load_before").ifPresent(v -> p.append(" Load average before the run: ").append(v).append('.'));
        meta("command").ifPresent(v -> p.append(" Command: `").append(v).append("`."));
        meta("notes").ifPresent(v -> p.append("\n\n").append(v));
        return p.toString();
    }

    private Optional<String> meta(String key) {
        return Optional.ofNullable(r.meta.getValue(key)).map(String::valueOf).filter(s -> !s.isBlank());
    }

    private void idle() {
        Table t = new Table("connections", "server", "RSS at start MB", "RSS KB/conn", "live heap KB/conn",
                "lobbyhub ÷ this");
        for (Idle i : r.sorted(r.idle)) {
            // Like for like: live heap against a JVM, RSS against anything else.
            Function<Idle, Double> figure = i.liveHeapKbPerConn() != null ? Idle::liveHeapKbPerConn : Idle::rssKbPerConn;
            long n = i.connections();
            t.row(count(n), i.server(), Spread.cell(r.idle, i.server(), n, Idle::rssStartMb),
                    Spread.cell(r.idle, i.server(), n, Idle::rssKbPerConn),
                    Spread.cell(r.idle, i.server(), n, Idle::liveHeapKbPerConn),
                    Spread.ratioCell(Spread.ratio(r.idle, LOBBYHUB, i.server(), n, figure)));
        }
        section("S1 idle memory", "Growth per idle connection over the same server with none; KB = 1000 bytes."
                + " A JVM's RSS grows in heap-sized steps, so JVMs compare by live heap (after a full GC):"
                + " \"lobbyhub ÷ this\" uses live heap where the server has it, RSS otherwise.", t);
    }

    private void handshakes() {
        Table t = new Table("connections", "server", "handshakes/s", "CPU µs/handshake", "p50 ms", "p99 ms", "failed",
                "lobbyhub ÷ this (CPU)");
        for (Handshake h : r.sorted(r.handshake)) {
            long n = h.connections();
            t.row(count(n), h.server(), Spread.cell(r.handshake, h.server(), n, Handshake::perSecond),
                    Spread.cell(r.handshake, h.server(), n, Handshake::cpuUs), number(h.p50Ms()),
                    Spread.cell(r.handshake, h.server(), n, Handshake::p99Ms), count(h.failed()),
                    Spread.ratioCell(Spread.ratio(r.handshake, LOBBYHUB, h.server(), n, Handshake::cpuUs)));
        }
        section("S2 handshakes", "Connections opened as fast as the server accepts them: rate, server CPU per"
                + " handshake, handshake latency.", t);
    }

    /**
     * S3 and S4: per rate, every server's median p99 and CPU per delivery with lobbyhub's ratio to it
     * (median of the per-round ratios, with their range), then every figure per server and rate.
     */
    private void steps(String heading, String intro, Rows<Step> rows) {
        List<String> servers = r.servers().stream().filter(s -> !RunResults.of(rows, s).isEmpty()).toList();
        Table summary = new Table("deliveries/s", "server", "rounds", "p99 ms", "µs/delivery", "lobbyhub ÷ this (p99)",
                "lobbyhub ÷ this (µs)");
        boolean anyShort = false;
        for (long rate : RunResults.counts(rows)) {
            for (String s : servers) {
                Optional<Step> step = RunResults.find(rows, s, rate);
                if (step.isEmpty()) {
                    continue;
                }
                Step x = step.get();
                anyShort |= x.shortOfDelivery();
                summary.row(count(rate), s, count(rows.rounds(s, rate).size()),
                        Spread.cell(Spread.of(rows, s, rate, Step::p99Ms), x.shortOfDelivery() ? "*" : ""),
                        Spread.cell(rows, s, rate, Step::cpuUs),
                        Spread.ratioCell(Spread.ratio(rows, LOBBYHUB, s, rate, Step::p99Ms)),
                        Spread.ratioCell(Spread.ratio(rows, LOBBYHUB, s, rate, Step::cpuUs)));
            }
        }

        List<String> knees = new ArrayList<>();
        servers.forEach(s -> Targets.Knee.of(RunResults.of(rows, s)).ifPresent(k -> knees.add(s + " " + k)));
        boolean manyRounds = rows.maxRounds() > 1;
        List<String> header = new ArrayList<>(List.of("server", "deliveries/s", "delivered/s", "delivered", "p50 ms",
                "p99 ms", "p99.9 ms", "max ms", "µs/delivery", "server CPU %", "client CPU %"));
        if (manyRounds) {
            header.addAll(List.of("p99 ms by round", "µs/delivery by round"));
        }
        Table all = new Table(header);
        for (String s : servers) {
            for (Step x : RunResults.of(rows, s)) {
                List<String> cells = new ArrayList<>(List.of(s, count(x.rate()), number(x.achievedPerS()),
                        percent(x.deliveredRatio()) + (x.shortOfDelivery() ? "*" : ""), number(x.p50Ms()),
                        number(x.p99Ms()), number(x.p999Ms()), number(x.maxMs()), number(x.cpuUs()),
                        number(x.serverCpuPct()), number(x.clientCpuPct())));
                if (manyRounds) {
                    cells.add(byRound(rows, s, x.rate(), Step::p99Ms));
                    cells.add(byRound(rows, s, x.rate(), Step::cpuUs));
                }
                all.row(cells);
            }
        }

        section(heading, intro, summary);
        if (anyShort) {
            md.append("\\* fewer than 99.9 % of the step's messages arrived, even after the drain: the server fell"
                    + " behind.\n\n");
        }
        md.append("Knee (highest rate with p99 < ").append(number(Targets.kneeP99Ms()))
                .append(" ms and ≥ 99.9 % delivered): ").append(String.join(", ", knees)).append(".\n\n");
        md.append("A client CPU near 100 % means the step measured the load client, not the server.\n\n");
        md.append("<details><summary>All figures").append(manyRounds ? " (medians of the rounds; the last two columns"
                + " each round in order)" : "").append("</summary>\n\n").append(all).append("\n</details>\n\n");
    }

    /** A figure of each round in order: "18.2 / 10.9 / 17.5". */
    private static <T extends Record> String byRound(Rows<T> rows, String server, long count, Function<T, Double> figure) {
        return rows.rounds(server, count).values().stream().map(x -> number(figure.apply(x)))
                .collect(Collectors.joining(" / "));
    }

    private void sweep() {
        Table t = new Table("connections", "server", "silent", "evicted in time", "false evictions",
                "max stall ms, all answering", "max stall ms, evicting", "baseline p99 ms", "during p99 ms", "sweep max ms");
        for (Sweep s : r.sorted(r.sweep)) {
            long n = s.connections();
            boolean split = s.steadyStallMs() != null;
            // Correctness counts are the worst round's, not the median.
            Spread inTime = Spread.of(r.sweep, s.server(), n, Sweep::evictedInTime);
            Spread falseEvictions = Spread.of(r.sweep, s.server(), n, Sweep::falseEvictions);
            t.row(count(n), s.server(), count(s.silent()), inTime == null ? NONE : count(inTime.min()),
                    falseEvictions == null ? NONE : count(falseEvictions.max()),
                    split ? Spread.cell(r.sweep, s.server(), n, Sweep::steadyStallMs)
                            : Spread.cell(r.sweep, s.server(), n, Sweep::maxStallMs) + " (either)",
                    split ? Spread.cell(r.sweep, s.server(), n, Sweep::evictionStallMs) : NONE,
                    Spread.cell(r.sweep, s.server(), n, Sweep::baselineP99Ms),
                    Spread.cell(r.sweep, s.server(), n, Sweep::duringP99Ms),
                    Spread.cell(r.sweep, s.server(), n, Sweep::sweepMaxMs));
        }
        section("S5 health sweep under load", "Idle connections answering health pings while a probe measures"
                + " ping round trips; then some fall silent and must be closed within stale-after + ping-interval,"
                + " and nobody else. The longest probe round trip (max stall) is given with every connection"
                + " answering and while the silent ones are evicted; \"evicted in time\" and \"false evictions\" are"
                + " the worst round's.", t);
    }

    private void startup() {
        Table t = new Table("server", "startup ms", "idle RSS MB", "lobbyhub ÷ this (startup)");
        for (Startup s : r.sorted(r.startup)) {
            t.row(s.server(), Spread.cell(r.startup, s.server(), 0, Startup::startupMs),
                    Spread.cell(r.startup, s.server(), 0, Startup::idleRssMb),
                    Spread.ratioCell(Spread.ratio(r.startup, LOBBYHUB, s.server(), 0, Startup::startupMs)));
        }
        section("S6 startup", "From process start to accepting connections, and the resident set then.", t);
    }

    private void slow() {
        Table t = new Table("connections", "server", "slow readers", "slow closed", "max close s", "memory growth MB",
                "baseline p99 ms", "healthy p99 ms", "lobbyhub ÷ this (healthy p99)");
        for (Slow s : r.sorted(r.slow)) {
            long n = s.connections();
            t.row(count(n), s.server(), count(s.slowReaders()), count(s.slowClosed()),
                    s.maxCloseS() == null ? "never" : Spread.cell(r.slow, s.server(), n, Slow::maxCloseS),
                    Spread.cell(r.slow, s.server(), n, Slow::memoryGrowthMb),
                    Spread.cell(r.slow, s.server(), n, Slow::baselineP99Ms),
                    Spread.cell(r.slow, s.server(), n, Slow::healthyP99Ms),
                    Spread.ratioCell(Spread.ratio(r.slow, LOBBYHUB, s.server(), n, Slow::healthyP99Ms)));
        }
        section("S7 slow readers under load", "Some members stop reading while their lobbies keep sending: how"
                + " soon the server closes them, how much memory it holds meanwhile, and the healthy members'"
                + " p99 against a run without slow readers.", t);
    }

    /** The cluster steps beside single-node lobbyhub's S3 step of the same rate. */
    private void cluster() {
        // A server column only when there is more than one (lobbyhub and lobbyhub-logoff).
        boolean servers = r.cluster.keySet().stream().map(Key::server).distinct().count() > 1;
        List<String> header = new ArrayList<>(List.of("deliveries/s", "per node", "single p50 ms", "single p99 ms", "cross-node p50 ms",
                "cross-node p99 ms", "p99 ÷ single", "single µs/delivery", "node A µs/delivery", "node B µs/delivery",
                "both nodes µs/delivery", "worse node ÷ single", "Redis µs/message", "Redis commands/message", "PUBLISH/message"));
        if (servers) {
            header.add(1, "server");
        }
        Table summary = new Table(header);
        Table all = new Table("server", "deliveries/s", "delivered/s", "delivered", "p50 ms", "p99 ms",
                "same-node p99 ms", "cross-node p99.9 ms", "max ms", "node A CPU %",
                "node B CPU %", "Redis CPU %", "published/message", "received/message", "client CPU %");
        boolean anyShort = false;
        for (RunResults.Cluster c : r.sorted(r.cluster)) {
            Optional<Step> single = RunResults.find(r.fanout, c.server(), c.rate());
            anyShort |= c.shortOfDelivery() || single.filter(Step::shortOfDelivery).isPresent();
            String mark = c.shortOfDelivery() ? "*" : "";
            List<String> cells = new ArrayList<>(List.of(count(c.rate()), count(c.rate() / 2),
                    single.map(s -> number(s.p50Ms())).orElse(NONE),
                    single.map(s -> number(s.p99Ms()) + (s.shortOfDelivery() ? "*" : "")).orElse(NONE),
                    number(c.crossP50Ms()), number(c.crossP99Ms()) + mark,
                    ratio(divide(c.crossP99Ms(), single.map(Step::p99Ms).orElse(null))),
                    single.map(s -> number(s.cpuUs())).orElse(NONE), number(c.nodeACpuUs()), number(c.nodeBCpuUs()),
                    number(c.cpuUs()),
                    ratio(divide(c.worseNodeCpuUs(), single.map(Step::cpuUs).orElse(null))),
                    number(c.redisCpuUsPerMessage()), number(c.redisCommandsPerMessage()),
                    number(c.redisPublishPerMessage())));
            if (servers) {
                cells.add(1, c.server());
            }
            summary.row(cells);
            all.row(c.server(), count(c.rate()), number(c.achievedPerS()), percent(c.deliveredRatio()) + mark,
                    number(c.p50Ms()), number(c.p99Ms()), number(c.sameP99Ms()), number(c.crossP999Ms()),
                    number(c.maxMs()), number(c.nodeACpuPct()), number(c.nodeBCpuPct()),
                    number(c.redisCpuPct()), number(c.publishedPerMessage()), number(c.receivedPerMessage()),
                    number(c.clientCpuPct()));
        }
        section("Cluster: 2 nodes + Redis", "The S3 fan-out against two lobbyhub nodes in cluster mode sharing one"
                + " Redis: lobbies of 10 with 5 members on each node; the sender (member 0) is on node A in even"
                + " lobbies and on node B in odd ones. Each lobby message goes through Redis once and every node"
                + " delivers it to its own members, so about half the deliveries cross from one node to the other"
                + " (with the lobby log on, one script call appends it to the lobby's stream and publishes it, and the"
                + " sender's node too delivers it from its subscription; with the log off, " + LOGOFF + ", one"
                + " PUBLISH, and the sender's node delivers to its own members at once)."
                + " Rates are deliveries/s over the whole cluster (each node delivers half: \"per node\"), compared"
                + " with single-node lobbyhub's S3 step of the same total rate from this run. **Both nodes and Redis"
                + " share core 0** (the machine has two cores; the load generator keeps core 1), so at the same"
                + " total rate they have the core budget the single node had alone. CPU per delivery on a node counts"
                + " the deliveries to that node's members (both nodes: their CPU over all deliveries); Redis CPU (utime + stime of redis-server) and Redis"
                + " commands (`INFO commandstats`, INFO itself left out) are per lobby message sent; cross-node"
                + " latency covers the deliveries to members on the other node than the sender.", summary);
        if (anyShort) {
            md.append("\\* fewer than 99.9 % of the step's messages arrived, even after the drain.\n\n");
        }
        md.append("With the lobby log off, commands other than PUBLISH are the nodes' background work, which does"
                + " not grow with the message rate: leases, node list, seat checks, and an EXISTS + HSET per connected"
                + " member every few seconds. With the log on, each message is one EVALSHA of the append script, and"
                + " the commands the script runs (XADD, PUBLISH, PEXPIRE, HINCRBY, …) are counted too.\n\n");
        md.append("<details><summary>All figures</summary>\n\n").append(all).append("\n</details>\n\n");
    }

    private void storm() {
        Table t = new Table("server", "dropped", "99 % back s", "100 % back s", "refusals", "most for one player",
                "back in held seat", "live p99 ms before", "during", "during ÷ before", "probe max ms during",
                "event-loop lag max ms", "server CPU %", "load generator CPU %");
        for (Storm s : r.sorted(r.storm)) {
            long n = s.connections();
            // Correctness counts are the worst round's, not the median.
            Spread mostRefused = Spread.of(r.storm, s.server(), n, Storm::refusedMax);
            boolean seated = r.storm.rounds(s.server(), n).values().stream().allMatch(Storm::allBackSeated);
            String heldSeats = s.recovered() == null ? "no held seats"
                    : seated ? "all, every round" : "not in every round (worst: " + count(Spread.of(r.storm, s.server(), n,
                    Storm::recovered).min()) + ")";
            Spread during = Spread.of(r.storm.rounds(s.server(), n).values().stream()
                    .map(x -> divide(x.stormP99Ms(), x.baselineP99Ms())).toList());
            t.row(s.server(), count(n), Spread.cell(r.storm, s.server(), n, Storm::back99S),
                    s.back100S() == null ? "not all" : Spread.cell(r.storm, s.server(), n, Storm::back100S),
                    Spread.cell(r.storm, s.server(), n, Storm::refused), mostRefused == null ? NONE : count(mostRefused.max()),
                    heldSeats, Spread.cell(r.storm, s.server(), n, Storm::baselineP99Ms),
                    Spread.cell(r.storm, s.server(), n, Storm::stormP99Ms), Spread.ratioCell(during),
                    Spread.cell(r.storm, s.server(), n, Storm::probeStormMaxMs),
                    s.eventLoopLagMaxMs() == null ? NONE : Spread.cell(r.storm, s.server(), n, Storm::eventLoopLagMaxMs),
                    Spread.cell(r.storm, s.server(), n, Storm::serverCpuPct),
                    Spread.cell(r.storm, s.server(), n, Storm::clientCpuPct));
        }
        String pacedRate = RunResults.largest(r.storm, LOBBYHUB).map(Storm::handshakesPerSecond)
                .filter(rate -> rate > 0).map(Table::count).orElse("?");
        section("Reconnect storm", "Players in lobbies of 10 on one server, some of them in a live lobby fan-out;"
                + " then every other player's connection is dropped at once (closed 1001, as a page that goes away:"
                + " lobbyhub holds the seat) and each comes back as the browser client does: the first try at once,"
                + " then exactly the server's retry hint (`server_busy:<ms>`) when it gives one, else a full-jitter"
                + " backoff. " + LOBBYHUB + " runs with pacing on (" + pacedRate + " handshakes/s, a burst of 200,"
                + " event-loop lag bound 250 ms); " + RunResults.UNPACED + " is the same jar with pacing off (no rate,"
                + " no lag bound, no hints); " + RunResults.VERTX + " the plain Vert.x peer (no pacing, no held"
                + " seats). \"Back\" is counted from the drop to each player's `welcome`; \"during\" is the live"
                + " fan-out's p99 from the drop until the last player was back; \"back in held seat\" means"
                + " `recovered: true` for every player and no hold expired (the worst round); the probe pings every"
                + " 25 ms and its longest round trip bounds the longest event-loop stall; CPU is over the storm."
                + " The load generator shares the machine (core 1): its own CPU is shown.", t);
    }

    /** lobbyhub beside lobbyhub-logoff (the same jar, lobby log off), S3 and cluster, per rate. */
    private void lobbyLog() {
        Table single = new Table("deliveries/s", "µs/delivery on", "off", "on ÷ off", "p99 ms on", "off", "on − off");
        for (long rate : RunResults.counts(r.fanout)) {
            Optional<Step> on = RunResults.find(r.fanout, LOBBYHUB, rate);
            Optional<Step> off = RunResults.find(r.fanout, LOGOFF, rate);
            if (on.isEmpty() || off.isEmpty()) {
                continue;
            }
            single.row(count(rate), stepCell(r.fanout, LOBBYHUB, rate, Step::cpuUs, on.get()),
                    stepCell(r.fanout, LOGOFF, rate, Step::cpuUs, off.get()),
                    Spread.ratioCell(Spread.ratio(r.fanout, LOBBYHUB, LOGOFF, rate, Step::cpuUs)),
                    Spread.cell(r.fanout, LOBBYHUB, rate, Step::p99Ms), Spread.cell(r.fanout, LOGOFF, rate, Step::p99Ms),
                    Spread.differenceCell(Spread.difference(r.fanout, LOBBYHUB, LOGOFF, rate, Step::p99Ms)));
        }
        Table cluster = new Table("deliveries/s", "busier node µs/delivery on", "off", "on ÷ off",
                "both nodes µs/delivery on ÷ off", "sender's node p99 ms on", "off", "on − off", "other node p99 ms on",
                "off", "on − off", "Redis µs/message on", "off", "Redis commands/message on", "off");
        for (long rate : RunResults.counts(r.cluster)) {
            Optional<RunResults.Cluster> on = RunResults.find(r.cluster, LOBBYHUB, rate);
            Optional<RunResults.Cluster> off = RunResults.find(r.cluster, LOGOFF, rate);
            if (on.isEmpty() || off.isEmpty()) {
                continue;
            }
            cluster.row(count(rate), stepCell(r.cluster, LOBBYHUB, rate, RunResults.Cluster::worseNodeCpuUs, on.get()),
                    stepCell(r.cluster, LOGOFF, rate, RunResults.Cluster::worseNodeCpuUs, off.get()),
                    Spread.ratioCell(Spread.ratio(r.cluster, LOBBYHUB, LOGOFF, rate, RunResults.Cluster::worseNodeCpuUs)),
                    Spread.ratioCell(Spread.ratio(r.cluster, LOBBYHUB, LOGOFF, rate, RunResults.Cluster::cpuUs)),
                    Spread.cell(r.cluster, LOBBYHUB, rate, RunResults.Cluster::sameP99Ms),
                    Spread.cell(r.cluster, LOGOFF, rate, RunResults.Cluster::sameP99Ms),
                    Spread.differenceCell(Spread.difference(r.cluster, LOBBYHUB, LOGOFF, rate, RunResults.Cluster::sameP99Ms)),
                    Spread.cell(r.cluster, LOBBYHUB, rate, RunResults.Cluster::crossP99Ms),
                    Spread.cell(r.cluster, LOGOFF, rate, RunResults.Cluster::crossP99Ms),
                    Spread.differenceCell(Spread.difference(r.cluster, LOBBYHUB, LOGOFF, rate, RunResults.Cluster::crossP99Ms)),
                    Spread.cell(r.cluster, LOBBYHUB, rate, RunResults.Cluster::redisCpuUsPerMessage),
                    Spread.cell(r.cluster, LOGOFF, rate, RunResults.Cluster::redisCpuUsPerMessage),
                    Spread.cell(r.cluster, LOBBYHUB, rate, RunResults.Cluster::redisCommandsPerMessage),
                    Spread.cell(r.cluster, LOGOFF, rate, RunResults.Cluster::redisCommandsPerMessage));
        }
        md.append("## The lobby log, on and off\n\n").append("lobbyhub (the lobby log on, its default of 200 frames per"
                + " lobby) beside ").append(LOGOFF).append(", the same jar with the log off"
                + " (`LOBBYHUB_RECOVERY_HISTORY_SIZE=0`), run next to each other in every round. Figures are medians"
                + " of the rounds; \"on ÷ off\" is the median of the per-round ratios and \"on − off\" of the"
                + " per-round differences, with their range. Steps short of 99.9 % delivered are marked `*`.\n\n");
        if (!r.fanout.isEmpty()) {
            md.append("Single node (S3):\n\n").append(single).append('\n');
        }
        if (!r.cluster.isEmpty()) {
            md.append("Cluster (2 nodes + Redis; rates over both nodes; \"sender's node\" is the deliveries to members"
                    + " on the sender's node, \"other node\" the cross-node ones):\n\n").append(cluster).append('\n');
        }
    }

    /** A median figure with its spread flag, and "*" when the step was short of delivery. */
    private static <T extends Record & RunResults.RateStep> String stepCell(Rows<T> rows, String server, long rate,
                                                                           Function<T, Double> figure, T median) {
        return Spread.cell(Spread.of(rows, server, rate, figure), median.shortOfDelivery() ? "*" : "");
    }

    private void section(String heading, String intro, Object table) {
        md.append("## ").append(heading).append("\n\n").append(intro).append("\n\n").append(table).append('\n');
    }

    /** The charts whose data the file has, by file name. */
    private static Map<String, SvgChart> charts(RunResults r) {
        Map<String, SvgChart> charts = new LinkedHashMap<>();
        charts.put("fanout-p99.svg", steps(r, r.fanout, "Lobby fan-out: p99 latency", "p99 ms (log scale)",
                Step::p99Ms, true).guide(Targets.kneeP99Ms(), "knee limit " + number(Targets.kneeP99Ms()) + " ms"));
        // CPU per delivery of a step the server could not keep up with says nothing: left out.
        charts.put("fanout-cpu.svg", steps(r, r.fanout, "Lobby fan-out: server CPU per delivery (steps fully delivered)",
                "µs per delivery (log scale)", s -> s.fullyDelivered() ? s.cpuUs() : null, true));
        charts.put("direct-p99.svg", steps(r, r.direct, "Direct messages: p99 latency", "p99 ms (log scale)",
                Step::p99Ms, true));
        charts.put("idle-memory.svg", idleMemory(r));
        charts.put("storm-back.svg", stormTimeline(r, "back", "Reconnect storm: dropped players back",
                "% of the dropped players back", false));
        charts.put("storm-p99.svg", stormTimeline(r, "p99", "Reconnect storm: live fan-out p99 per half second",
                "p99 ms (log scale)", true));
        charts.values().removeIf(SvgChart::isEmpty);
        return charts;
    }

    private static SvgChart steps(RunResults r, Map<Key, Step> rows, String title, String yLabel,
                                  Function<Step, Double> y, boolean logY) {
        SvgChart chart = new SvgChart(title, "target deliveries/s", yLabel, logY);
        List<String> servers = r.servers();
        for (int i = 0; i < servers.size(); i++) {
            List<Point> points = RunResults.of(rows, servers.get(i)).stream().filter(s -> y.apply(s) != null)
                    .map(s -> new Point(s.rate(), y.apply(s))).toList();
            chart.series(servers.get(i), SvgChart.colour(i), points);
        }
        return chart;
    }

    /** Seconds before the drop shown on a storm chart: the baseline the storm is seen against. */
    private static final double STORM_LEAD_S = 2;

    /**
     * One series per server: its round with the median time until every player was back (a round in which
     * not all came back counts as the slowest), x shifted so that the drop is at {@value #STORM_LEAD_S} s.
     */
    private static SvgChart stormTimeline(RunResults r, String key, String title, String yLabel, boolean logY) {
        SvgChart chart = new SvgChart(title, "seconds (players dropped at " + number(STORM_LEAD_S) + " s)", yLabel, logY);
        List<String> servers = r.servers();
        for (int i = 0; i < servers.size(); i++) {
            String server = servers.get(i);
            Optional<Storm> largest = RunResults.largest(r.storm, server);
            SortedMap<Integer, JsonObject> timelines = r.stormTimelines.get(server);
            if (largest.isEmpty() || timelines == null) {
                continue;
            }
            List<Map.Entry<Integer, Storm>> byTime = r.storm.rounds(server, largest.get().connections()).entrySet()
                    .stream().filter(e -> timelines.containsKey(e.getKey()))
                    .sorted(Comparator.comparingDouble(e -> e.getValue().back100S() == null ? Double.MAX_VALUE
                            : e.getValue().back100S())).toList();
            if (byTime.isEmpty()) {
                continue;
            }
            JsonArray points = timelines.get(byTime.get((byTime.size() - 1) / 2).getKey()).getJsonArray(key);
            List<Point> shifted = new ArrayList<>();
            for (int p = 0; points != null && p < points.size(); p++) {
                JsonArray xy = points.getJsonArray(p);
                if (xy.getDouble(0) >= -STORM_LEAD_S) {
                    shifted.add(new Point(xy.getDouble(0) + STORM_LEAD_S, xy.getDouble(1)));
                }
            }
            chart.series(server, SvgChart.colour(i), shifted);
        }
        return chart;
    }

    private static SvgChart idleMemory(RunResults r) {
        SvgChart chart = new SvgChart("Idle memory per connection", "connections", "KB per connection", false);
        List<String> servers = r.servers();
        for (int i = 0; i < servers.size(); i++) {
            List<Idle> rows = RunResults.of(r.idle, servers.get(i));
            // One measure per server: live heap for a JVM, RSS for the rest.
            boolean jvm = rows.stream().anyMatch(x -> x.liveHeapKbPerConn() != null);
            Function<Idle, Double> y = jvm ? Idle::liveHeapKbPerConn : Idle::rssKbPerConn;
            List<Point> points = rows.stream().filter(x -> y.apply(x) != null)
                    .map(x -> new Point(x.connections(), y.apply(x))).toList();
            chart.series(servers.get(i) + (jvm ? " (live heap)" : " (RSS)"), SvgChart.colour(i), points);
        }
        return chart;
    }
}
