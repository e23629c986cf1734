package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "state": lobby state updates (SPEC §12) at a ladder of rates. {@code connections} members in
 * lobbies of {@code lobby-size}; each lobby's owner (whoever its welcomes name) sends
 * {@code lobby_update}s with new {@code properties}, open loop, round robin over the lobbies; every
 * member, the owner included, hears {@code lobby_updated}. Latency is from when an update was due to
 * when a member heard it; throughput counts updates every member heard. With {@code --ports} of two
 * nodes (cluster mode, one Redis) the lobbies' members alternate between them, so every update is one
 * script call in Redis and crosses nodes. lobbyhub only (no peer has lobby state).
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.LobbyStateScenario --port 18080 --pid SERVER_PID \
 *     [--ports 18101,18102 --pids PID_A,PID_B] [--label lobbyhub] [--connections 2000] [--lobby-size 4] \
 *     [--rates 500,1000,2000,4000] [--step-seconds 10] [--warmup-seconds 5] [--drain-seconds 10]
 * </pre>
 * Prints one {@code RESULT} line per step ({@code state}).
 */
public final class LobbyStateScenario {

    private static final long MAX_MICROS = 120_000_000L;

    public static void main(String[] argv) {
        ScenarioMain.run(argv, LobbyStateScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "lobbyhub");
        int[] rates = ints(args.string("rates", "500,1000,2000,4000"));
        int connections = args.integer("connections", 2_000);
        int lobbySize = args.integer("lobby-size", 4);
        Duration step = Duration.ofSeconds(args.integer("step-seconds", 10));
        Duration drain = Duration.ofSeconds(args.integer("drain-seconds", 10));
        int[] ports = ints(args.string("ports", String.valueOf(args.target().port())));
        long[] pids = Arrays.stream(args.string("pids", String.valueOf(args.pid())).split(","))
                .mapToLong(s -> Long.parseLong(s.trim())).toArray();

        LoadClient load = new LoadClient(vertx, args.target(), "st", lobbySize, args.integer("in-flight", 256));
        if (ports.length > 1) {
            load.across(ports, i -> i % ports.length);
        }
        Updates updates = new Updates();
        load.onFrame(updates::onFrame);
        Wait.on(load.connect(connections), Duration.ofMinutes(5));
        if (load.welcomed() < connections) {
            print("%s: %d welcomed of %d, %d failed", label, load.welcomed(), connections, load.failed());
            Wait.on(load.close(), Duration.ofSeconds(30));
            return false;
        }
        List<LoadClient.Conn> owners = owners(load.conns());
        print("%s: %d welcomed on %d node(s), %d lobbies of %d, %d owners found", label, load.welcomed(), ports.length,
                connections / lobbySize, lobbySize, owners.size());
        if (owners.size() != connections / lobbySize) {
            return false;
        }
        Wait.pause(Duration.ofSeconds(2)); // the member_joined storm is over

        boolean ok = true;
        Step warmup = updates.run(vertx, owners, lobbySize, rates[0], Duration.ofSeconds(args.integer("warmup-seconds", 5)),
                drain, pids);
        print("%s warm-up: %s", label, warmup.describe());
        ok &= warmup.drained;
        for (int rate : rates) {
            Step result = updates.run(vertx, owners, lobbySize, rate, step, drain, pids);
            print("%s: %s", label, result.describe());
            Results.emit("state", label, result.toJson(ports.length));
        }
        print("%s: closes by code %s; errors %d", label, load.closesByCode(), load.frames("error"));
        Wait.on(load.close(), Duration.ofSeconds(30));
        return ok;
    }

    /** Per lobby, the connection its members' welcomes name as owner (the latest welcome knows it best). */
    private static List<LoadClient.Conn> owners(List<LoadClient.Conn> conns) {
        Map<String, String> ownerOf = new HashMap<>();
        Map<String, LoadClient.Conn> byUser = new HashMap<>();
        Map<String, Long> latest = new HashMap<>();
        for (LoadClient.Conn conn : conns) {
            byUser.put(conn.userId, conn);
            JsonObject welcome = conn.welcome;
            if (welcome != null && welcome.getString("owner") != null
                    && conn.welcomedNanos >= latest.getOrDefault(conn.lobby, Long.MIN_VALUE)) {
                latest.put(conn.lobby, conn.welcomedNanos);
                ownerOf.put(conn.lobby, welcome.getString("owner"));
            }
        }
        List<LoadClient.Conn> owners = new ArrayList<>();
        ownerOf.values().forEach(user -> {
            if (byUser.containsKey(user)) {
                owners.add(byUser.get(user));
            }
        });
        return owners;
    }

    /** One step's outcome; CPU figures -1 when a server's pid is unknown. */
    record Step(int rate, double seconds, long sent, long expected, long heard, boolean drained, Histogram latency,
            long serverCpuMicros, double elapsedSeconds, int lobbySize) {

        double p(double percentile) {
            return latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(percentile) / 1000.0;
        }

        /** Updates every member heard, per second of the step. */
        double updatesPerSecond() {
            return heard / (double) lobbySize / seconds;
        }

        double cpuMicrosPerUpdate() {
            return serverCpuMicros < 0 || heard == 0 ? -1 : serverCpuMicros / (heard / (double) lobbySize);
        }

        JsonObject toJson(int nodes) {
            return new JsonObject().put("rate", rate).put("nodes", nodes).put("lobby_size", lobbySize)
                    .put("achieved_updates_per_s", Math.round(updatesPerSecond()))
                    .put("heard_ratio", Traffic.round(heard / (double) Math.max(1, expected), 5))
                    .put("p50_ms", Traffic.round(p(50), 2)).put("p99_ms", Traffic.round(p(99), 2))
                    .put("max_ms", Traffic.round(latency.getMaxValue() / 1000.0, 2))
                    .put("server_cpu_us_per_update", Traffic.round(cpuMicrosPerUpdate(), 1))
                    .put("server_cpu_pct", Traffic.round(serverCpuMicros / elapsedSeconds / 1e4, 1));
        }

        String describe() {
            return String.format("rate %d updates/s for %.0f s: sent %d, heard %d of %d%s (%.0f updates/s heard by all);"
                            + " latency ms p50 %.2f p99 %.2f max %.2f; server CPU %.0f µs/update", rate, seconds, sent, heard,
                    expected, drained ? "" : " (NOT drained)", updatesPerSecond(), p(50), p(99),
                    latency.getMaxValue() / 1000.0, cpuMicrosPerUpdate());
        }
    }

    /** The updates of each step and who heard them. */
    private static final class Updates {
        private final Map<Integer, LongAdder> heard = new ConcurrentHashMap<>();
        private final Map<Integer, Histogram> latency = new ConcurrentHashMap<>();
        private int step;

        void onFrame(LoadClient.Conn receiver, JsonObject frame) {
            if (!"lobby_updated".equals(frame.getString("type"))) {
                return;
            }
            JsonObject properties = frame.getJsonObject("properties");
            Integer k = properties == null ? null : properties.getInteger("k");
            LongAdder count = k == null ? null : heard.get(k);
            if (count == null) {
                return;
            }
            count.increment();
            long micros = Math.min(MAX_MICROS, Math.max(0, (System.nanoTime() - properties.getLong("t")) / 1000));
            latency.get(k).recordValue(micros);
        }

        Step run(Vertx vertx, List<LoadClient.Conn> owners, int lobbySize, int rate, Duration length, Duration drain,
                long[] pids) {
            int k = ++step;
            heard.put(k, new LongAdder());
            latency.put(k, new ConcurrentHistogram(MAX_MICROS, 3));
            long cpu0 = ProcStat.cpuMicros(pids);
            long t0 = System.nanoTime();
            AtomicLong sent = new AtomicLong();
            long total = (long) (rate * length.toNanos() / 1e9);
            double interval = 1e9 / rate;
            long timer = vertx.setPeriodic(1, id -> {
                long due = Math.min(total, (long) ((System.nanoTime() - t0) / interval) + 1);
                for (int n = 0; sent.get() < due && n < 5_000; n++) {
                    long i = sent.getAndIncrement();
                    LoadClient.Conn owner = owners.get((int) (i % owners.size()));
                    long intended = t0 + (long) (i * interval);
                    owner.send("{\"type\":\"lobby_update\",\"properties\":{\"k\":" + k + ",\"s\":" + i + ",\"t\":" + intended
                            + "}}");
                }
            });
            Wait.until(() -> sent.get() >= total, length.plusSeconds(30), Duration.ofMillis(10));
            vertx.cancelTimer(timer);
            long expected = sent.get() * lobbySize;
            boolean drained = Wait.until(() -> heard.get(k).sum() >= expected, drain, Duration.ofMillis(20));
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long cpu = cpu0 < 0 ? -1 : ProcStat.cpuMicros(pids) - cpu0;
            return new Step(rate, length.toMillis() / 1000.0, sent.get(), expected, heard.get(k).sum(), drained,
                    latency.get(k).copy(), cpu, elapsed, lobbySize);
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    private static void print(String format, Object... values) {
        System.out.printf("[state] " + format + "%n", values);
    }
}
