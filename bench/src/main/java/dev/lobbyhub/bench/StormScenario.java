package dev.lobbyhub.bench;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * "storm" (SPEC §14): a reconnect storm against one server while a live fan-out runs on it.
 * {@code connections} players in lobbies of 10: {@code live} of them in a lobby fan-out at {@code rate}
 * deliveries/s, the others idle; a few probe connections ping. After a baseline window every idle
 * player's connection is dropped at once (closed 1001, as a page that goes away: lobbyhub holds the
 * seat, SPEC §10) and each comes back as the browser client does: the first try at once; refused with a
 * retry hint ({@code server_busy:<ms>}), it waits exactly the hint; otherwise (a failed connect, no
 * welcome within 10 s, a close without a hint) a full-jitter backoff under 500 ms × 2^attempt, at most
 * 30 s. It comes back with {@code since}/{@code epoch} from its last welcome and frames. An unmeasured rehearsal
 * (a fifth of the players) runs first, so that the server has compiled a storm's paths as it has the fan-out's.
 *
 * <p>Reported: how long until 99 % and 100 % of the dropped players are back, refusals (in all, the most
 * for one player, players refused more than 3 times), players back in their held seat ({@code recovered:
 * true}, no hold expired, no {@code member_left}/{@code member_joined} heard), server and load-generator
 * CPU during the storm, the live fan-out's p99 during the storm against the baseline, the probe's
 * longest round trip and the highest event-loop lag gauge; and per half second the share back and the
 * live p99, for the report's charts.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.StormScenario --port 18080 --pid SERVER_PID --label lobbyhub \
 *     [--connections 12000] [--live 2000] [--rate 10000] [--handshakes-per-second 1000] \
 *     [--warmup-seconds 5] [--baseline-seconds 10] [--storm-seconds 30] [--give-up-seconds 60] [--in-flight 256] \
 *     [--secret S]
 * </pre>
 */
public final class StormScenario {

    private static final Pattern HINT = Pattern.compile("[a-z_]+:(\\d+)");
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final long BACKOFF_BASE_MS = 500;
    private static final long BACKOFF_MAX_MS = 30_000;
    private static final long BUCKET_MS = 500;
    private static final int LOBBY_SIZE = 10;
    /** Storm players spread over 127.0.0.1, .2, …: each attempt takes a fresh source port (a small run stays on .1). */
    private static final int PER_ADDRESS = 2_500;

    private static boolean ok = true;

    /**
     * Held so that its level sticks: Vert.x warns "Connection evicted" for each WebSocket the server closes
     * during its upgrade (every refusal), ten thousand lines a storm that say nothing here.
     */
    private static final java.util.logging.Logger EVICTIONS =
            java.util.logging.Logger.getLogger("io.vertx.core.http.impl.HttpClientConnection");

    public static void main(String[] argv) {
        EVICTIONS.setLevel(java.util.logging.Level.SEVERE);
        ScenarioMain.run(argv, StormScenario::run);
    }

    /** The hint of a 1013/1012/4002 close reason ending in {@code :<ms>} (SPEC §14), or -1. */
    static long busyHintMs(int code, String reason) {
        if ((code != 1013 && code != 1012 && code != 4002) || reason == null) {
            return -1;
        }
        Matcher m = HINT.matcher(reason);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** One dropped-and-returning player; its fields are written by the event loop of its current attempt. */
    private static final class Player {
        final int index;
        final String userId;
        final String lobby;
        /** Signed once: a browser keeps its token across reconnects, and signing would load the generator. */
        final String token;
        volatile WebSocket ws;
        /** Closed by us to start the storm: come back at once. */
        volatile boolean dropping;
        volatile long welcomedNanos;
        volatile int attempt;
        volatile int refusals;
        volatile String epoch;
        volatile long offset = -1;
        volatile Boolean recovered;

        Player(int index, Tokens tokens) {
            this.index = index;
            this.userId = "storm-u" + index;
            this.lobby = "storm-" + index / LOBBY_SIZE;
            this.token = tokens.forUser(userId);
        }
    }

    private static boolean run(Args args, Vertx vertx) {
        LoadClient.Target target = args.target();
        String label = args.string("label", "lobbyhub");
        ServerWatch server = new ServerWatch(target.port(), args.pid());
        int total = args.integer("connections", 12_000);
        int liveCount = args.integer("live", 2_000);
        int rate = args.integer("rate", 10_000);
        int handshakesPerSecond = args.integer("handshakes-per-second", 0);
        Duration baselineLength = Duration.ofSeconds(args.integer("baseline-seconds", 10));
        Duration stormLength = Duration.ofSeconds(args.integer("storm-seconds", 30));
        Duration giveUp = Duration.ofSeconds(args.integer("give-up-seconds", 60));
        int inFlight = args.integer("in-flight", 256);
        Duration drain = Duration.ofSeconds(10);

        Probe probe = new Probe(vertx, target, 25);
        Wait.on(probe.start(8), Duration.ofSeconds(60));
        LoadClient live = new LoadClient(vertx, target, "live", LOBBY_SIZE, inFlight);
        Wait.on(live.connect(liveCount), Duration.ofMinutes(2));
        check(live.welcomed() == liveCount, liveCount + " live members welcomed");
        Traffic traffic = new Traffic(vertx, Traffic.Kind.LOBBY, live.conns(), LOBBY_SIZE, 100, args.pid(), c -> true);
        LatencyTimeline timeline = new LatencyTimeline((int) ((stormLength.toMillis() + drain.toMillis()) / BUCKET_MS) + 4);
        live.onFrame((conn, frame) -> {
            traffic.onFrame(conn, frame);
            timeline.onFrame(frame);
        });

        Storm storm = new Storm(vertx, target, total - liveCount);
        long fillStart = System.nanoTime();
        storm.fill(inFlight);
        boolean filled = Wait.until(() -> storm.welcomed() == storm.players.size(), Duration.ofMinutes(5), Duration.ofMillis(200));
        print("%d idle players welcomed in %.1f s (%d refusals with a hint on the way)", storm.welcomed(),
                (System.nanoTime() - fillStart) / 1e9, storm.refused.sum());
        check(filled, "every idle player welcomed before the storm");
        if (!filled) {
            return false;
        }

        // A rehearsal, unmeasured: a fifth of the players drop and come back, so that the server has compiled the
        // paths of a storm (drop, refusal, return) before the one measured, as it has those of the fan-out.
        List<Player> rehearsing = storm.players.stream().filter(p -> p.index % 5 == 0).toList();
        StormOutcome rehearsal = storm.dropAndWatch(rehearsing, server, probe, args.pid(), giveUp);
        print("rehearsal: %d players dropped, back after %.1f s, %d refusals", rehearsing.size(),
                rehearsal.watchedSeconds(), rehearsal.refused());
        check(storm.welcomed() == storm.players.size(), "every rehearsing player back");
        traffic.run(rate, Duration.ofSeconds(args.integer("warmup-seconds", 5)), drain);
        probe.window();
        Traffic.Step baseline = traffic.run(rate, baselineLength, drain);
        Histogram baselineProbe = probe.window();
        print("baseline: fan-out %s; probe RTT %s", baseline.describe(), Probe.describe(baselineProbe));

        // The storm starts 2 s into a fan-out step and is watched from another thread.
        CompletableFuture<StormOutcome> watching = CompletableFuture.supplyAsync(() -> {
            Wait.pause(Duration.ofSeconds(2));
            return storm.dropAndWatch(storm.players, server, probe, args.pid(), giveUp);
        });
        timeline.start(System.nanoTime());
        Traffic.Step during = traffic.run(rate, stormLength, drain);
        StormOutcome outcome = watching.join();
        int n = storm.players.size();
        long[] backMillis = storm.players.stream().filter(p -> p.welcomedNanos > outcome.dropNanos)
                .mapToLong(p -> (p.welcomedNanos - outcome.dropNanos) / 1_000_000).sorted().toArray();
        double back99 = backMillis.length >= Math.ceil(n * 0.99) ? backMillis[(int) Math.ceil(n * 0.99) - 1] / 1000.0 : -1;
        double back100 = backMillis.length == n ? backMillis[n - 1] / 1000.0 : -1;
        int maxRefusals = storm.players.stream().mapToInt(p -> p.refusals).max().orElse(0);
        long over3 = storm.players.stream().filter(p -> p.refusals > 3).count();
        long recovered = storm.players.stream().filter(p -> Boolean.TRUE.equals(p.recovered)).count();
        double stormEnd = back100 >= 0 ? back100 : outcome.watchedSeconds;
        int fromBucket = (int) ((outcome.dropNanos - timeline.startNanos) / 1_000_000 / BUCKET_MS);
        int toBucket = fromBucket + (int) Math.max(1, Math.ceil(stormEnd * 1000 / BUCKET_MS));
        Histogram stormLatency = timeline.merged(fromBucket, toBucket);
        double baselineP99 = baseline.p(99);
        double stormP99 = Traffic.Step.p(stormLatency, 99);
        boolean lobbyhub = outcome.expiredHolds >= 0;

        print("storm: %d players dropped; back: 99 %% after %.2f s, 100 %% after %.2f s (%d of %d back)", n, back99,
                back100, backMillis.length, n);
        print("  refusals %d (most for one player %d, players refused more than 3 times %d); connect failures %d,"
                + " closes after a welcome %d", outcome.refused, maxRefusals, over3, storm.failedAttempts.sum(),
                storm.unexpectedCloses.sum());
        print("  held seats: %d recovered: true; holds expired %s; member_left/member_joined heard by the returning %d",
                recovered, lobbyhub ? Long.toString(outcome.expiredHolds) : "n/a", storm.presenceHeard.sum());
        print("  server CPU %.0f %% of a core (%.2f s), load generator CPU %.0f %% over the %.2f s of the storm",
                outcome.serverCpuPercent, outcome.serverCpuSeconds, outcome.clientCpuPercent, stormEnd);
        print("  live fan-out p99 %.2f ms during the storm against %.2f ms before (%.2f x); whole step: %s", stormP99,
                baselineP99, stormP99 / baselineP99, during.describe());
        print("  probe RTT during the storm %s; highest event-loop lag gauge %s", Probe.describe(outcome.probe),
                outcome.maxLagMs < 0 ? "n/a" : String.format("%.0f ms", outcome.maxLagMs));
        check(backMillis.length == n, "every dropped player back within " + giveUp.toSeconds() + " s");
        check(storm.unexpectedCloses.sum() == 0, "no returned player closed again");
        if (lobbyhub) {
            check(recovered == n, "every dropped player back in its held seat (recovered: true)");
            check(outcome.expiredHolds == 0, "no held seat expired");
            check(storm.presenceHeard.sum() == 0, "no member_left or member_joined among the returning players");
        }
        if (handshakesPerSecond > 0) {
            double bound = 1.5 * n / handshakesPerSecond;
            print("  targets (paced): 100 %% back within %.1f s: %s; live p99 within 2 x baseline: %s;"
                    + " nobody refused more than 3 times: %s", bound, back100 >= 0 && back100 <= bound,
                    stormP99 <= 2 * baselineP99, maxRefusals <= 3);
        }

        JsonObject figures = new JsonObject().put("connections", n).put("live", liveCount).put("rate", rate)
                .put("handshakes_per_second", handshakesPerSecond).put("back", backMillis.length)
                .put("back_99_s", back99 < 0 ? null : Traffic.round(back99, 2))
                .put("back_100_s", back100 < 0 ? null : Traffic.round(back100, 2))
                .put("refused", outcome.refused).put("refused_max", maxRefusals).put("refused_over_3", over3)
                .put("recovered", lobbyhub ? recovered : null).put("holds_expired", lobbyhub ? outcome.expiredHolds : null)
                .put("presence_heard", storm.presenceHeard.sum())
                .put("server_cpu_pct", Traffic.round(outcome.serverCpuPercent, 1))
                .put("server_cpu_s", Traffic.round(outcome.serverCpuSeconds, 2))
                .put("client_cpu_pct", Traffic.round(outcome.clientCpuPercent, 1))
                .put("baseline_p99_ms", Traffic.round(baselineP99, 2)).put("storm_p99_ms", Traffic.round(stormP99, 2))
                .put("probe_baseline_max_ms", Traffic.round(baselineProbe.getMaxValue() / 1000.0, 1))
                .put("probe_storm_max_ms", Traffic.round(outcome.probe.getMaxValue() / 1000.0, 1))
                .put("event_loop_lag_max_ms", outcome.maxLagMs < 0 ? null : Traffic.round(outcome.maxLagMs, 0))
                .put("live_delivered_ratio", Traffic.round(during.deliveredRatio(), 5))
                .put("timeline", new JsonObject().put("back", outcome.backTimeline)
                        .put("p99", timeline.p99s(fromBucket, BUCKET_MS)));
        Results.emit("storm", label, figures);

        Wait.on(storm.close(), Duration.ofSeconds(120));
        Wait.on(live.close(), Duration.ofSeconds(30));
        Wait.on(probe.stop(), Duration.ofSeconds(30));
        return ok;
    }

    private record StormOutcome(long dropNanos, double watchedSeconds, long refused, JsonArray backTimeline, double serverCpuSeconds,
            double serverCpuPercent, double clientCpuPercent, Histogram probe, double maxLagMs, long expiredHolds) {
    }

    /** The idle players: filled before, dropped at once, watched coming back. */
    private static final class Storm {
        private final Vertx vertx;
        private final WebSocketClient client;
        private final int port;
        final List<Player> players = new ArrayList<>();
        final LongAdder refused = new LongAdder();
        final LongAdder failedAttempts = new LongAdder();
        final LongAdder unexpectedCloses = new LongAdder();
        final LongAdder presenceHeard = new LongAdder();
        private volatile boolean storming;

        Storm(Vertx vertx, LoadClient.Target target, int count) {
            this.vertx = vertx;
            Tokens tokens = new Tokens(target.secret());
            this.port = target.port();
            this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(Integer.MAX_VALUE)
                    .setConnectTimeout((int) CONNECT_TIMEOUT_MS).setIdleTimeout(0));
            for (int i = 0; i < count; i++) {
                players.add(new Player(i, tokens));
            }
        }

        long welcomed() {
            return players.stream().filter(p -> p.welcomedNanos != 0).count();
        }

        /** Opens every player's first connection, {@code inFlight} at a time (each until welcomed). */
        void fill(int inFlight) {
            AtomicInteger next = new AtomicInteger();
            Runnable[] launch = new Runnable[1];
            launch[0] = () -> {
                int i = next.getAndIncrement();
                if (i < players.size()) {
                    open(players.get(i), launch[0]);
                }
            };
            for (int i = 0; i < Math.min(inFlight, players.size()); i++) {
                launch[0].run();
            }
        }

        /**
         * Drops these players at once and watches them come back until all are or {@code giveUp} has passed; their
         * refusals are counted from zero.
         */
        StormOutcome dropAndWatch(List<Player> dropped, ServerWatch server, Probe probe, long pid, Duration giveUp) {
            boolean lobbyhub = !server.metrics().isEmpty();
            double expiredBefore = ServerWatch.value(server.metrics(), "lobbyhub_seat_holds_total{outcome=\"expired\"}");
            probe.window();
            long serverCpu0 = pid > 0 ? ProcStat.cpuMicros(pid) : -1;
            long clientCpu0 = ProcStat.cpuMicros(0);
            dropped.forEach(p -> p.refusals = 0);
            long refusedBefore = refused.sum();
            long drop = System.nanoTime();
            storming = true;
            for (Player p : dropped) {
                p.dropping = true;
                p.ws.close((short) 1001, "going_away");
            }
            JsonArray backTimeline = new JsonArray().add(new JsonArray().add(0).add(0));
            double maxLag = -1;
            long deadline = drop + giveUp.toNanos();
            long nextScrape = drop;
            int n = dropped.size();
            long back = 0;
            long tick = 0;
            while (back < n && System.nanoTime() < deadline) {
                tick++;
                long at = drop + tick * BUCKET_MS * 1_000_000;
                Wait.pause(Duration.ofNanos(Math.max(0, at - System.nanoTime())));
                back = dropped.stream().filter(p -> p.welcomedNanos > drop).count();
                backTimeline.add(new JsonArray().add(tick * BUCKET_MS / 1000.0).add(Traffic.round(100.0 * back / n, 2)));
                if (lobbyhub && System.nanoTime() >= nextScrape) {
                    maxLag = Math.max(maxLag, 1000 * ServerWatch.value(server.metrics(), "lobbyhub_event_loop_lag_seconds"));
                    nextScrape = System.nanoTime() + 250_000_000L;
                }
            }
            long serverCpu = serverCpu0 < 0 ? -1 : ProcStat.cpuMicros(pid) - serverCpu0;
            long clientCpu = ProcStat.cpuMicros(0) - clientCpu0;
            double watched = (System.nanoTime() - drop) / 1e9;
            Histogram probeWindow = probe.window();
            long expired = -1;
            if (lobbyhub) {
                maxLag = Math.max(maxLag, 1000 * ServerWatch.value(server.metrics(), "lobbyhub_event_loop_lag_seconds"));
                expired = Math.round(ServerWatch.value(server.metrics(), "lobbyhub_seat_holds_total{outcome=\"expired\"}")
                        - expiredBefore);
            }
            storming = false;
            // CPU over the whole watch (the last sample is at most half a second after the last return).
            return new StormOutcome(drop, watched, refused.sum() - refusedBefore, backTimeline, serverCpu / 1e6, serverCpu < 0 ? -1 : serverCpu / watched / 1e4,
                    clientCpu / watched / 1e4, probeWindow, lobbyhub ? maxLag : -1, expired);
        }

        /** One attempt; {@code onWelcome} runs once at its welcome (the fill's next launch). */
        private void open(Player p, Runnable onWelcome) {
            StringBuilder uri = new StringBuilder("/ws/").append(p.lobby).append("?token=").append(p.token);
            if (p.epoch != null) {
                uri.append("&since=").append(p.offset).append("&epoch=").append(URLEncoder.encode(p.epoch, StandardCharsets.UTF_8));
            }
            WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0." + (1 + p.index / PER_ADDRESS))
                    .setPort(port).setURI(uri.toString()).setTimeout(CONNECT_TIMEOUT_MS)
                    .addHeader("Origin", "http://127.0.0.1:" + port);
            client.connect(options).onComplete(ar -> {
                if (ar.failed()) {
                    failedAttempts.increment();
                    retry(p, -1, onWelcome);
                    return;
                }
                WebSocket ws = ar.result();
                p.ws = ws;
                boolean[] welcomed = { false };
                long timer = vertx.setTimer(CONNECT_TIMEOUT_MS, t -> {
                    if (!welcomed[0]) {
                        ws.close();
                    }
                });
                ws.textMessageHandler(text -> {
                    JsonObject frame = new JsonObject(text);
                    String type = frame.getString("type");
                    if (frame.getValue("offset") instanceof Number offset) {
                        p.offset = Math.max(p.offset, offset.longValue());
                    }
                    switch (type) {
                        case "welcome" -> {
                            welcomed[0] = true;
                            vertx.cancelTimer(timer);
                            if (frame.getString("epoch") != null) {
                                p.epoch = frame.getString("epoch");
                            }
                            p.recovered = frame.getBoolean("recovered");
                            p.attempt = 0;
                            p.welcomedNanos = System.nanoTime();
                            onWelcome.run();
                        }
                        case "health_ping" -> ws.writeTextMessage(
                                "{\"type\":\"health_pong\",\"timestamp\":" + frame.getLong("timestamp") + "}");
                        case "member_left", "member_joined" -> {
                            if (storming) {
                                presenceHeard.increment();
                            }
                        }
                        default -> {
                        }
                    }
                });
                ws.exceptionHandler(e -> {
                    // a reset shows as the close
                });
                ws.closeHandler(v -> {
                    vertx.cancelTimer(timer);
                    if (p.dropping) {
                        p.dropping = false;
                        p.attempt = 1; // the browser client tries a dropped connection again at once, once
                        open(p, () -> {
                        });
                        return;
                    }
                    Short code = ws.closeStatusCode();
                    if (welcomed[0]) {
                        unexpectedCloses.increment();
                        p.attempt = 1;
                        open(p, () -> {
                        });
                        return;
                    }
                    long hint = busyHintMs(code == null ? 1006 : code, ws.closeReason());
                    if (hint >= 0) {
                        refused.increment();
                        p.refusals++;
                    } else {
                        failedAttempts.increment();
                    }
                    retry(p, hint, onWelcome);
                });
            });
        }

        /** Waits the hint when there is one, else a full-jitter backoff, as the browser client does. */
        private void retry(Player p, long hintMs, Runnable onWelcome) {
            int attempt = p.attempt;
            p.attempt = attempt + 1;
            long delay = hintMs >= 0 ? hintMs
                    : (long) (ThreadLocalRandom.current().nextDouble() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(attempt, 20)));
            vertx.setTimer(Math.max(1, delay), t -> open(p, onWelcome));
        }

        Future<Void> close() {
            storming = false;
            List<Future<Void>> closing = players.stream().filter(p -> p.ws != null && !p.ws.isClosed())
                    .map(p -> p.ws.close()).toList();
            return Future.join(closing).eventually(() -> client.close()).mapEmpty();
        }
    }

    /** The live fan-out's latency per half second, counted from {@link #start}. */
    private static final class LatencyTimeline {
        private final Histogram[] buckets;
        private volatile long startNanos;

        LatencyTimeline(int size) {
            buckets = new Histogram[size];
            Arrays.setAll(buckets, i -> new ConcurrentHistogram(120_000_000L, 3));
        }

        void start(long nanos) {
            startNanos = nanos;
        }

        void onFrame(JsonObject frame) {
            long start = startNanos;
            if (start == 0 || !"lobby_message".equals(frame.getString("type"))) {
                return;
            }
            long now = System.nanoTime();
            int i = (int) ((now - start) / 1_000_000 / BUCKET_MS);
            if (i >= 0 && i < buckets.length) {
                long micros = Math.max(0, (now - frame.getJsonObject("data").getLong("t")) / 1000);
                buckets[i].recordValue(Math.min(micros, 120_000_000L));
            }
        }

        Histogram merged(int from, int to) {
            Histogram all = new Histogram(120_000_000L, 3);
            for (int i = Math.max(0, from); i < Math.min(buckets.length, to); i++) {
                all.add(buckets[i]);
            }
            return all;
        }

        /** [[seconds since the drop, p99 ms], …] for every half second with deliveries, from 2 s before the drop. */
        JsonArray p99s(int dropBucket, long bucketMs) {
            JsonArray out = new JsonArray();
            for (int i = 0; i < buckets.length; i++) {
                if (buckets[i].getTotalCount() > 0) {
                    out.add(new JsonArray().add((i - dropBucket) * bucketMs / 1000.0)
                            .add(Traffic.round(buckets[i].getValueAtPercentile(99) / 1000.0, 2)));
                }
            }
            return out;
        }
    }

    private static void check(boolean holds, String what) {
        print("  %s %s", holds ? "ok  " : "FAIL", what);
        ok &= holds;
    }

    private static void print(String format, Object... values) {
        System.out.printf("[storm] " + format + "%n", values);
    }

    private StormScenario() {
    }
}
