package dev.lobbyhub.bench.report;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

import io.vertx.core.json.JsonObject;

/**
 * The lines of one results file, a record type per scenario. A figure a server has not got (a peer
 * without live heap, a server that never closes slow readers) is {@code null}.
 *
 * <p>A line may carry a {@code round} (1, 2, …: {@code bench/run.sh --rounds}); a line without one is
 * round 0. Each scenario's {@link Rows} hold, per server and count, the line of every round and, as
 * the map's value, their median: every figure the median of that figure over the rounds that have it.
 */
final class RunResults {

    static final String LOBBYHUB = "lobbyhub";
    /** The same lobbyhub jar with the lobby log off (SPEC §11, history-size 0): bench/run.sh's lobbyhub-logoff. */
    static final String LOGOFF = "lobbyhub-logoff";
    /** The same lobbyhub jar with handshake pacing off (SPEC §14): bench/run.sh's lobbyhub-unpaced, storm only. */
    static final String UNPACED = "lobbyhub-unpaced";
    static final String VERTX = "vertx";
    static final String NAIVE = "quarkus-naive";
    /** Table and legend order; servers not named here follow in the order the file first names them. */
    private static final List<String> KNOWN = List.of(LOBBYHUB, LOGOFF, UNPACED, VERTX, NAIVE, "node-ws", "bun");

    record Idle(String server, long connections, Double rssStartMb, Double rssKbPerConn, Double liveHeapKbPerConn) {
    }

    record Handshake(String server, long connections, Double perSecond, Double cpuUs, Double p50Ms, Double p99Ms,
                     Double failed) {
    }

    /** A rate step of a scenario that counts what was delivered: "fanout", "direct", "cluster". */
    interface RateStep {
        long rate();

        Double deliveredRatio();

        default boolean fullyDelivered() {
            return deliveredRatio() != null && deliveredRatio() >= 0.999;
        }

        /** Known to have lost (or not yet delivered after the drain) more than 0.1 %. */
        default boolean shortOfDelivery() {
            return deliveredRatio() != null && deliveredRatio() < 0.999;
        }
    }

    /** One rate step of "fanout" or "direct". */
    record Step(String server, long rate, Double achievedPerS, Double deliveredRatio, Double p50Ms, Double p99Ms,
                Double p999Ms, Double maxMs, Double cpuUs, Double serverCpuPct, Double clientCpuPct) implements RateStep {
    }

    record Startup(String server, Double startupMs, Double idleRssMb) {
    }

    /**
     * One rate step of "cluster": the fan-out over two nodes and one Redis. {@code rate} and the
     * latencies are over the whole cluster; CPU per delivery per node counts that node's deliveries.
     */
    record Cluster(String server, long rate, Double achievedPerS, Double deliveredRatio, Double p50Ms, Double p99Ms,
                   Double crossP50Ms, Double crossP99Ms, Double crossP999Ms, Double sameP99Ms, Double maxMs,
                   Double cpuUs, Double nodeACpuUs, Double nodeBCpuUs, Double nodeACpuPct, Double nodeBCpuPct,
                   Double redisCpuUsPerMessage, Double redisCpuPct, Double redisCommandsPerMessage,
                   Double redisPublishPerMessage, Double publishedPerMessage, Double receivedPerMessage,
                   Double clientCpuPct) implements RateStep {
        /** The busier node's CPU per delivery. */
        Double worseNodeCpuUs() {
            return nodeACpuUs == null || nodeBCpuUs == null ? null : Math.max(nodeACpuUs, nodeBCpuUs);
        }
    }

    /**
     * S5. {@code maxStallMs} is the longer of {@code steadyStallMs} (the probe's longest round trip with
     * every connection answering) and {@code evictionStallMs} (while the silent ones are evicted);
     * results written before those two were split have only the first.
     */
    record Sweep(String server, long connections, Double silent, Double evictedInTime, Double falseEvictions,
                 Double maxStallMs, Double baselineP99Ms, Double duringP99Ms, Double sweepMaxMs, Double steadyStallMs,
                 Double evictionStallMs) {
    }

    record Slow(String server, long connections, Double slowReaders, Double slowClosed, Double maxCloseS,
                Double memoryGrowthMb, Double baselineP99Ms, Double healthyP99Ms) {
    }

    /**
     * "storm" (SPEC §14): {@code connections} players dropped at once and coming back as the browser client
     * does, while a live fan-out runs; see StormScenario for each figure. {@code recovered} and
     * {@code holdsExpired} are null for a server without held seats.
     */
    record Storm(String server, long connections, Double handshakesPerSecond, Double back, Double back99S,
                 Double back100S, Double refused, Double refusedMax, Double refusedOver3, Double recovered,
                 Double holdsExpired, Double presenceHeard, Double serverCpuPct, Double serverCpuS, Double clientCpuPct,
                 Double baselineP99Ms, Double stormP99Ms, Double probeBaselineMaxMs, Double probeStormMaxMs,
                 Double eventLoopLagMaxMs, Double liveDeliveredRatio) {
        /** Every dropped player came back, each to its held seat where the server holds seats, none expired. */
        boolean allBackSeated() {
            return back != null && back == connections && (recovered == null || recovered == connections)
                    && (holdsExpired == null || holdsExpired == 0);
        }
    }

    /** A row's server and its connection count or rate (0 where a scenario has neither). */
    record Key(String server, long count) {
    }

    /**
     * One scenario's rows: as a map, the median of the rounds per server and count; {@link #rounds}
     * gives each round's own line. A later line for the same server, count and round replaces the
     * earlier one.
     */
    static final class Rows<T extends Record> extends LinkedHashMap<Key, T> {
        private final Map<Key, SortedMap<Integer, T>> rounds = new LinkedHashMap<>();

        private void add(Key key, int round, T row) {
            SortedMap<Integer, T> byRound = rounds.computeIfAbsent(key, k -> new TreeMap<>());
            if (byRound.put(round, row) != null) {
                System.err.printf("warning: two lines for %s at %d in round %d: the later one is used%n",
                        key.server(), key.count(), round);
            }
            put(key, median(List.copyOf(byRound.values())));
        }

        /** A server's line per round at a count (rate, connections), by round; empty when it has none. */
        SortedMap<Integer, T> rounds(String server, long count) {
            return rounds.getOrDefault(new Key(server, count), new TreeMap<>());
        }

        /** The most rounds any server has at any count. */
        int maxRounds() {
            return rounds.values().stream().mapToInt(Map::size).max().orElse(0);
        }
    }

    /** The meta line, or an empty object when the file has none. */
    JsonObject meta = new JsonObject();
    final Rows<Idle> idle = new Rows<>();
    final Rows<Handshake> handshake = new Rows<>();
    final Rows<Step> fanout = new Rows<>();
    final Rows<Step> direct = new Rows<>();
    final Rows<Startup> startup = new Rows<>();
    final Rows<Sweep> sweep = new Rows<>();
    final Rows<Slow> slow = new Rows<>();
    final Rows<Cluster> cluster = new Rows<>();
    final Rows<Storm> storm = new Rows<>();
    /** The storm's timelines per server and round: {"back": [[s, %], …], "p99": [[s, ms], …]}, s from the drop. */
    final Map<String, SortedMap<Integer, JsonObject>> stormTimelines = new LinkedHashMap<>();
    private final Set<String> servers = new LinkedHashSet<>();

    /** Reads a JSONL file; blank lines are ignored, a line that does not parse is skipped with a warning. */
    static RunResults read(Path file) throws IOException {
        RunResults results = new RunResults();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                results.add(new JsonObject(line));
            } catch (ClassCastException e) {
                warn(file, i, "a value of the wrong type");
            } catch (RuntimeException e) { // bad JSON, a missing key, an unknown scenario
                warn(file, i, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }
        return results;
    }

    private static void warn(Path file, int index, String why) {
        System.err.printf("warning: %s line %d skipped: %s%n", file.getFileName(), index + 1, why);
    }

    private void add(JsonObject j) {
        String scenario = required(j, "scenario", j::getString);
        if (scenario.equals("meta")) {
            meta = j;
            return;
        }
        String server = required(j, "server", j::getString);
        int round = j.getInteger("round", 0);
        switch (scenario) {
            case "idle" -> put(idle, server, round, connections(j), new Idle(server, connections(j),
                    figure(j, "rss_start_mb"), figure(j, "rss_kb_per_conn"), figure(j, "live_heap_kb_per_conn")));
            case "handshake" -> put(handshake, server, round, connections(j), new Handshake(server, connections(j),
                    figure(j, "handshakes_per_s"), figure(j, "cpu_us_per_handshake"), figure(j, "p50_ms"),
                    figure(j, "p99_ms"), figure(j, "failed")));
            case "fanout" -> put(fanout, server, round, rate(j), step(server, j));
            case "direct" -> put(direct, server, round, rate(j), step(server, j));
            case "startup" -> put(startup, server, round, 0, new Startup(server, figure(j, "startup_ms"),
                    figure(j, "idle_rss_mb")));
            case "sweep" -> put(sweep, server, round, connections(j), new Sweep(server, connections(j), figure(j, "silent"),
                    figure(j, "evicted_in_time"), figure(j, "false_evictions"), figure(j, "max_stall_ms"),
                    figure(j, "baseline_p99_ms"), figure(j, "during_p99_ms"), figure(j, "sweep_max_ms"),
                    figure(j, "steady_stall_ms"), figure(j, "eviction_stall_ms")));
            case "slow" -> put(slow, server, round, connections(j), new Slow(server, connections(j), figure(j, "slow_readers"),
                    figure(j, "slow_closed"), figure(j, "max_close_s"), figure(j, "memory_growth_mb"),
                    figure(j, "baseline_p99_ms"), figure(j, "healthy_p99_ms")));
            case "cluster" -> put(cluster, server, round, rate(j), new Cluster(server, rate(j), figure(j, "achieved_per_s"),
                    figure(j, "delivered_ratio"), figure(j, "p50_ms"), figure(j, "p99_ms"), figure(j, "cross_p50_ms"),
                    figure(j, "cross_p99_ms"), figure(j, "cross_p999_ms"), figure(j, "same_p99_ms"), figure(j, "max_ms"),
                    figure(j, "cpu_us_per_delivery"), figure(j, "node_a_cpu_us_per_delivery"),
                    figure(j, "node_b_cpu_us_per_delivery"), figure(j, "node_a_cpu_pct"), figure(j, "node_b_cpu_pct"),
                    figure(j, "redis_cpu_us_per_message"), figure(j, "redis_cpu_pct"),
                    figure(j, "redis_commands_per_message"), figure(j, "redis_publish_per_message"),
                    figure(j, "published_per_message"), figure(j, "received_per_message"), figure(j, "client_cpu_pct")));
            case "storm" -> {
                put(storm, server, round, connections(j), new Storm(server, connections(j),
                        figure(j, "handshakes_per_second"), figure(j, "back"), figure(j, "back_99_s"),
                        figure(j, "back_100_s"), figure(j, "refused"), figure(j, "refused_max"),
                        figure(j, "refused_over_3"), figure(j, "recovered"), figure(j, "holds_expired"),
                        figure(j, "presence_heard"), figure(j, "server_cpu_pct"), figure(j, "server_cpu_s"),
                        figure(j, "client_cpu_pct"), figure(j, "baseline_p99_ms"), figure(j, "storm_p99_ms"),
                        figure(j, "probe_baseline_max_ms"), figure(j, "probe_storm_max_ms"),
                        figure(j, "event_loop_lag_max_ms"), figure(j, "live_delivered_ratio")));
                JsonObject timeline = j.getJsonObject("timeline");
                if (timeline != null) {
                    stormTimelines.computeIfAbsent(server, s -> new TreeMap<>()).put(round, timeline);
                }
            }
            default -> throw new IllegalArgumentException("unknown scenario '" + scenario + "'");
        }
        servers.add(server);
    }

    private static Step step(String server, JsonObject j) {
        return new Step(server, rate(j), figure(j, "achieved_per_s"), figure(j, "delivered_ratio"),
                figure(j, "p50_ms"), figure(j, "p99_ms"), figure(j, "p999_ms"), figure(j, "max_ms"),
                figure(j, "cpu_us_per_delivery"), figure(j, "server_cpu_pct"), figure(j, "client_cpu_pct"));
    }

    private static long connections(JsonObject j) {
        return required(j, "connections", j::getLong);
    }

    private static long rate(JsonObject j) {
        return required(j, "rate", j::getLong);
    }

    private static <T> T required(JsonObject j, String key, Function<String, T> get) {
        T value = get.apply(key);
        if (value == null) {
            throw new IllegalArgumentException("no \"" + key + "\"");
        }
        return value;
    }

    private static <T extends Record> void put(Rows<T> rows, String server, int round, long key, T row) {
        rows.add(new Key(server, key), round, row);
    }

    /** The number of rounds in the file: the most any server has of any scenario step (1 for a file without rounds). */
    int rounds() {
        return Math.max(1, List.of(idle, handshake, fanout, direct, startup, sweep, slow, cluster, storm).stream()
                .mapToInt(Rows::maxRounds).max().orElse(0));
    }

    /**
     * One row of the rounds' figures: each {@code Double} component the median of the rounds that have
     * it (null when none has), the others (server, count) from the first.
     */
    @SuppressWarnings("unchecked")
    static <T extends Record> T median(List<T> rounds) {
        T first = rounds.get(0);
        if (rounds.size() == 1) {
            return first;
        }
        RecordComponent[] components = first.getClass().getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                types[i] = c.getType();
                if (c.getType() == Double.class) {
                    List<Double> figures = new ArrayList<>();
                    for (T row : rounds) {
                        Double v = (Double) c.getAccessor().invoke(row);
                        if (v != null) {
                            figures.add(v);
                        }
                    }
                    values[i] = Spread.median(figures);
                } else {
                    values[i] = c.getAccessor().invoke(first);
                }
            }
            return (T) first.getClass().getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot take the median of " + first.getClass().getSimpleName(), e);
        }
    }

    /** Every server in the file, lobbyhub first. */
    List<String> servers() {
        List<String> ordered = new ArrayList<>(KNOWN);
        ordered.retainAll(servers);
        servers.stream().filter(s -> !KNOWN.contains(s)).forEach(ordered::add);
        return ordered;
    }

    /** Orders rows by a count (connections, rate), then by server as {@link #servers()} does. */
    <T> List<T> sorted(Map<Key, T> rows) {
        List<String> order = servers();
        return rows.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<Key, T> e) -> e.getKey().count())
                        .thenComparing(e -> order.indexOf(e.getKey().server())))
                .map(Map.Entry::getValue).toList();
    }

    static <T> Optional<T> find(Map<Key, T> rows, String server, long count) {
        return Optional.ofNullable(rows.get(new Key(server, count)));
    }

    /** A server's row with the largest count, for targets that read one row. */
    static <T> Optional<T> largest(Map<Key, T> rows, String server) {
        return rows.keySet().stream().filter(k -> k.server().equals(server))
                .max(Comparator.comparingLong(Key::count)).map(rows::get);
    }

    /** A server's rows, by count. */
    static <T> List<T> of(Map<Key, T> rows, String server) {
        return rows.keySet().stream().filter(k -> k.server().equals(server))
                .sorted(Comparator.comparingLong(Key::count)).map(rows::get).toList();
    }

    /** The connection counts or rates any server has, ascending. */
    static List<Long> counts(Map<Key, ?> rows) {
        return rows.keySet().stream().map(Key::count).distinct().sorted().toList();
    }

    /** A figure, or null when absent or negative (a scenario's "could not measure", e.g. CPU per delivery with none delivered). */
    private static Double figure(JsonObject j, String key) {
        Double value = j.getDouble(key);
        return value == null || value < 0 ? null : value;
    }
}
