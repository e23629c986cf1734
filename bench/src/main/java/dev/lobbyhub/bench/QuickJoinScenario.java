package dev.lobbyhub.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "quickjoin": the lobby directory and quick join (SPEC §13) over HTTP. First {@code lobbies} public
 * lobbies are made, each by one player's quick join with properties {@code {mode, slot}} ({@code modes}
 * game modes, a slot of its own so that each call makes a lobby); their reservations last as long as the
 * server's {@code users.reservation-ttl} (set it long). Then, open loop at each rate of {@code rates}:
 * quick joins of new players with {@code {mode}} only, each placed in the fullest lobby of its mode;
 * then, after a 5 s warm-up, directory listings {@code GET /lobbies?prop.mode=<m>&has_space=true&limit=50} at each
 * rate of {@code list-rates}.
 * Latency is from when a call was due to its answer; every call is a new user (no rate limit is met).
 * With {@code --ports} of several nodes the calls alternate between them.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.QuickJoinScenario --port 18080 --pid SERVER_PID \
 *     [--ports 18101,18102 --pids PID_A,PID_B,REDIS_PID] [--label lobbyhub] [--lobbies 10000] [--modes 100]
 *     [--rates 250,500,1000,2000] [--list-rates 200,500,1000] [--step-seconds 10]
 * </pre>
 * Prints one {@code RESULT} line per step ({@code quickjoin}, and {@code list} for the listings).
 */
public final class QuickJoinScenario {

    private static final long MAX_MICROS = 60_000_000L;
    private static final AtomicLong USERS = new AtomicLong();

    public static void main(String[] argv) {
        ScenarioMain.run(argv, QuickJoinScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "lobbyhub");
        int lobbies = args.integer("lobbies", 10_000);
        int modes = args.integer("modes", 100);
        int[] rates = ints(args.string("rates", "250,500,1000,2000"));
        Duration step = Duration.ofSeconds(args.integer("step-seconds", 10));
        int[] ports = ints(args.string("ports", String.valueOf(args.target().port())));
        long[] pids = Arrays.stream(args.string("pids", String.valueOf(args.pid())).split(","))
                .mapToLong(s -> Long.parseLong(s.trim())).toArray();
        String host = "127.0.0.1";
        Tokens tokens = new Tokens(args.target().secret());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4)).build();
        Calls calls = new Calls(http, host, ports, tokens);

        long seedStart = System.nanoTime();
        Step seeded = calls.run("seed", Math.max(rates[0], 1000), lobbies,
                i -> calls.quickJoin(i, new JsonObject().put("mode", "m" + (i % modes)).put("slot", i)), pids);
        print("%s: made %d lobbies in %.1f s: %s", label, seeded.ok, (System.nanoTime() - seedStart) / 1e9,
                seeded.describe());
        if (seeded.ok < lobbies) {
            return false;
        }
        for (int rate : rates) {
            int count = (int) (rate * step.toSeconds());
            Step result = calls.run("quickjoin", rate, count,
                    i -> calls.quickJoin(i, new JsonObject().put("mode", "m" + (i % modes))), pids);
            print("%s: %s", label, result.describe());
            Results.emit("quickjoin", label, result.toJson(ports.length, lobbies));
        }
        int[] listRates = ints(args.string("list-rates", "200,500,1000"));
        Step warm = calls.run("list warm-up", listRates[0], listRates[0] * 5, i -> calls.list(i, "m" + (i % modes)), pids);
        print("%s: %s", label, warm.describe());
        for (int listRate : listRates) {
            int count = (int) (listRate * step.toSeconds());
            Step listed = calls.run("list", listRate, count, i -> calls.list(i, "m" + (i % modes)), pids);
            print("%s: %s", label, listed.describe());
            Results.emit("list", label, listed.toJson(ports.length, lobbies));
        }
        return true;
    }

    /** One step: {@code ok} answered 200, {@code failed} anything else (by status in {@code statuses}). */
    record Step(String what, int rate, long ok, long failed, Map<Integer, Long> statuses, Histogram latency,
            long serverCpuMicros, double elapsedSeconds) {

        double p(double percentile) {
            return latency.getTotalCount() == 0 ? -1 : latency.getValueAtPercentile(percentile) / 1000.0;
        }

        JsonObject toJson(int nodes, int lobbies) {
            return new JsonObject().put("step", what).put("rate", rate).put("nodes", nodes).put("lobbies", lobbies)
                    .put("ok", ok).put("failed", failed).put("statuses", new JsonObject(new java.util.TreeMap<>(
                            statuses).entrySet().stream().collect(java.util.stream.Collectors.toMap(
                                    e -> String.valueOf(e.getKey()), Map.Entry::getValue))))
                    .put("answered_per_s", Traffic.round(ok / elapsedSeconds, 1))
                    .put("p50_ms", Traffic.round(p(50), 2)).put("p99_ms", Traffic.round(p(99), 2))
                    .put("max_ms", Traffic.round(latency.getMaxValue() / 1000.0, 2))
                    .put("server_cpu_us_per_call", serverCpuMicros < 0 || ok == 0 ? -1
                            : Traffic.round(serverCpuMicros / (double) ok, 1));
        }

        String describe() {
            return String.format("%s at %d/s: %d ok, %d failed %s, %.0f/s answered, p50 %.2f ms, p99 %.2f ms, max %.2f ms,"
                    + " server CPU %.1f µs/call", what, rate, ok, failed, statuses, ok / elapsedSeconds, p(50), p(99),
                    latency.getMaxValue() / 1000.0, serverCpuMicros < 0 || ok == 0 ? -1.0 : serverCpuMicros / (double) ok);
        }
    }

    private static final class Calls {
        private final HttpClient http;
        private final String host;
        private final int[] ports;
        private final Tokens tokens;

        Calls(HttpClient http, String host, int[] ports, Tokens tokens) {
            this.http = http;
            this.host = host;
            this.ports = ports;
            this.tokens = tokens;
        }

        /** A new user's token: each call is another player. */
        private String token() {
            return tokens.forUser("qj-" + USERS.incrementAndGet());
        }

        CompletableFuture<HttpResponse<Void>> quickJoin(int i, JsonObject properties) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + ports[i % ports.length]
                    + "/lobbies/quick-join")).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("properties", properties).encode(),
                            StandardCharsets.UTF_8)).build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        }

        CompletableFuture<HttpResponse<Void>> list(int i, String mode) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + ports[i % ports.length]
                    + "/lobbies?has_space=true&limit=50&prop.mode=" + mode)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token()).GET().build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        }

        /** {@code count} calls at {@code rate} a second, open loop; waits for every answer (at most 60 s after the last). */
        Step run(String what, int rate, int count, IntFunction<CompletableFuture<HttpResponse<Void>>> call, long[] pids) {
            Histogram latency = new ConcurrentHistogram(MAX_MICROS, 3);
            LongAdder ok = new LongAdder();
            LongAdder failed = new LongAdder();
            Map<Integer, Long> statuses = new ConcurrentHashMap<>();
            CompletableFuture<?>[] answers = new CompletableFuture<?>[count];
            long cpu0 = ProcStat.cpuMicros(pids);
            long start = System.nanoTime();
            long interval = 1_000_000_000L / rate;
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
            AtomicLong next = new AtomicLong();
            CompletableFuture<Void> sent = new CompletableFuture<>();
            ticker.scheduleAtFixedRate(() -> {
                long now = System.nanoTime();
                while (next.get() < count && start + next.get() * interval <= now) {
                    int i = (int) next.getAndIncrement();
                    long due = start + i * interval;
                    answers[i] = call.apply(i).whenComplete((response, failure) -> {
                        latency.recordValue(Math.min(MAX_MICROS, Math.max(0, (System.nanoTime() - due) / 1000)));
                        int status = response == null ? -1 : response.statusCode();
                        statuses.merge(status, 1L, Long::sum);
                        if (status == 200) {
                            ok.increment();
                        } else {
                            failed.increment();
                        }
                    });
                }
                if (next.get() >= count) {
                    sent.complete(null);
                }
            }, 0, 1, TimeUnit.MILLISECONDS);
            try {
                sent.get(count / rate + 60, TimeUnit.SECONDS);
                CompletableFuture.allOf(answers).handle((r, e) -> null).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                print("%s at %d/s: not every call answered: %s", what, rate, e);
            } finally {
                ticker.shutdownNow();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            long cpu = cpu0 < 0 ? -1 : ProcStat.cpuMicros(pids) - cpu0;
            return new Step(what, rate, ok.sum(), failed.sum(), Map.copyOf(statuses), latency.copy(), cpu, elapsed);
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    private static void print(String format, Object... values) {
        System.out.printf("[quickjoin] " + format + "%n", values);
    }
}
