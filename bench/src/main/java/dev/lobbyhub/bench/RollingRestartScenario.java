package dev.lobbyhub.bench;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/**
 * "rolling": a rolling restart under traffic, driven by {@code bench/run-rolling.sh}. Players connect
 * through one port (a load balancer in front of the nodes, as a Kubernetes Service), {@code --lobby-size}
 * per lobby, and each says a line with an id every {@code --interval-ms}. Once all are seated the scenario
 * writes {@code --ready-file}; the script then restarts the nodes one by one and writes
 * {@code --done-file}. A player closed by a node does what the browser client does: back at once after a
 * drop, after {@code reconnect_after_ms} after {@code server_shutdown}, with its log position
 * ({@code since}, {@code epoch}), and with full-jitter backoff while it is refused.
 *
 * <p>It counts what the players heard meanwhile (presence events, recovery answers, gaps) and checks
 * that every line the log acknowledged reached every other member of its lobby once, each member's
 * frames in offset order.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.RollingRestartScenario --port 18204 --ready-file F --done-file G
 *     [--players 1500] [--lobby-size 10] [--interval-ms 2000] [--in-flight 100] [--secret S]
 * </pre>
 * Prints one {@code RESULT} line ({@code rolling}); exits 1 when a check fails.
 */
public final class RollingRestartScenario {

    private static final long MAX_BACKOFF_MS = 5_000;

    public static void main(String[] argv) {
        ScenarioMain.run(argv, RollingRestartScenario::run);
    }

    /** One player: its current connection and where it is in its lobby's log. Guarded by itself. */
    private static final class Player {
        final int index;
        final int slot;
        final String user;
        final String lobby;
        final String token;
        /** Lines from each member of its lobby (by slot), by sequence number. */
        final BitSet[] received;
        final BitSet acked = new BitSet();
        WebSocket ws;
        boolean seated;
        String epoch;
        long offset = -1;
        int sent;
        long reconnectAfterMs;
        long closedNanos;
        int attempts;

        Player(int index, int lobbySize, String prefix, Tokens tokens) {
            this.index = index;
            this.slot = index % lobbySize;
            this.user = prefix + "-u" + index;
            this.lobby = prefix + "-" + (index / lobbySize);
            this.token = tokens.forUser(user);
            this.received = new BitSet[lobbySize];
            for (int i = 0; i < lobbySize; i++) {
                received[i] = new BitSet();
            }
        }
    }

    private final Vertx vertx;
    private final WebSocketClient client;
    private final int port;
    private final int lobbySize;
    private final List<Player> players = new ArrayList<>();
    private final Map<String, LongAdder> heard = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> closes = new ConcurrentHashMap<>();
    private final LongAdder seated = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder moved = new LongAdder();
    /** Returns whose welcome said {@code recovered: false}: the log could not give them what they missed. */
    private final LongAdder notRecovered = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    /** From the close to the welcome of the connection that took the seat back. */
    private final Histogram awayMs = new ConcurrentHistogram(3_600_000, 3);
    /** The same, less the server's {@code reconnect_after_ms}: what the reconnect itself cost. */
    private final Histogram overHintMs = new ConcurrentHistogram(3_600_000, 3);
    /** What went wrong, for the raw output: the first leaves heard and every return not recovered. */
    private final java.util.Queue<String> samples = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean measuring;
    private volatile boolean talking;

    private RollingRestartScenario(Vertx vertx, int port, int lobbySize) {
        this.vertx = vertx;
        this.port = port;
        this.lobbySize = lobbySize;
        this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(Integer.MAX_VALUE)
                .setConnectTimeout(10_000).setIdleTimeout(0));
    }

    private static boolean run(Args args, Vertx vertx) {
        int lobbySize = args.integer("lobby-size", 10);
        RollingRestartScenario scenario = new RollingRestartScenario(vertx, args.integer("port", 18204), lobbySize);
        Tokens tokens = new Tokens(args.string("secret", "bench-secret-bench-secret-bench-secret"));
        int count = args.integer("players", 1500);
        for (int i = 0; i < count; i++) {
            scenario.players.add(new Player(i, lobbySize, "roll", tokens));
        }
        return scenario.play(count, args.integer("in-flight", 100), args.integer("interval-ms", 2000),
                Path.of(args.string("ready-file", "rolling.ready")), Path.of(args.string("done-file", "rolling.done")));
    }

    private boolean play(int count, int inFlight, int intervalMs, Path readyFile, Path doneFile) {
        for (int i = 0; i < count; i++) {
            int launched = i;
            if (!Wait.until(() -> seated.sum() > launched - inFlight, Duration.ofSeconds(60), Duration.ofMillis(5))) {
                print("only %d of %d players seated after 60 s", seated.sum(), launched);
                return false;
            }
            connect(players.get(i));
        }
        if (!Wait.until(() -> seated.sum() == count, Duration.ofSeconds(120), Duration.ofMillis(50))) {
            print("only %d of %d players seated", seated.sum(), count);
            return false;
        }
        print("%d players seated in %d lobbies of %d; talking, one line every %d ms each", count, count / lobbySize,
                lobbySize, intervalMs);
        talking = true;
        for (Player p : players) {
            vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(intervalMs),
                    t -> vertx.setPeriodic(intervalMs, tick -> say(p)));
        }
        Wait.pause(Duration.ofSeconds(3));
        measuring = true;
        long started = System.nanoTime();
        write(readyFile);
        while (!Files.exists(doneFile)) {
            if (System.nanoTime() - started > TimeUnit.MINUTES.toNanos(15)) {
                print("the restarts did not finish within 15 minutes");
                return false;
            }
            Wait.pause(Duration.ofSeconds(5));
            print("%4d s: %d of %d seated; %s", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), seated.sum(),
                    count, closes);
        }
        boolean back = Wait.until(() -> seated.sum() == count, Duration.ofSeconds(60), Duration.ofMillis(50));
        long restartSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        Wait.pause(Duration.ofSeconds(3));
        talking = false;
        // Lets the last lines and their acks arrive (a benchmark's settle time, not a check's fence).
        Wait.pause(Duration.ofSeconds(5));
        measuring = false;
        return report(count, back, restartSeconds);
    }

    private boolean report(int count, boolean back, long restartSeconds) {
        long sent = 0;
        long acked = 0;
        long missing = 0;
        for (Player receiver : players) {
            synchronized (receiver) {
                sent += receiver.sent;
                acked += receiver.acked.cardinality();
            }
            int first = receiver.index - receiver.slot;
            for (int s = 0; s < lobbySize && first + s < players.size(); s++) {
                Player sender = players.get(first + s);
                if (sender == receiver) {
                    continue;
                }
                BitSet lost;
                synchronized (sender) {
                    lost = (BitSet) sender.acked.clone();
                }
                synchronized (receiver) {
                    lost.andNot(receiver.received[s]);
                }
                missing += lost.cardinality();
            }
        }
        JsonObject figures = new JsonObject()
                .put("players", count).put("lobbies", count / lobbySize).put("restart_seconds", restartSeconds)
                .put("moved", moved.sum()).put("closes", new JsonObject(new TreeMap<>(sums(closes))))
                .put("refused_attempts", refused.sum()).put("not_recovered", notRecovered.sum())
                .put("away_ms", percentiles(awayMs)).put("over_hint_ms", percentiles(overHintMs))
                .put("events", new JsonObject(new TreeMap<>(sums(heard))))
                .put("lines_sent", sent).put("lines_acked", acked).put("deliveries_missing", missing)
                .put("duplicates", duplicates.sum()).put("out_of_order", outOfOrder.sum()).put("all_back", back);
        samples.forEach(System.out::println);
        Results.emit("rolling", "lobbyhub", figures);
        long leftOrJoined = sums(heard).entrySet().stream()
                .filter(e -> e.getKey().startsWith("member_left") || e.getKey().equals("member_joined"))
                .mapToLong(Map.Entry::getValue).sum();
        boolean ok = back && moved.sum() > 0 && leftOrJoined == 0 && missing == 0 && duplicates.sum() == 0
                && outOfOrder.sum() == 0 && notRecovered.sum() == 0;
        print("%s: %d players moved, longest away %d ms, %d member_left/member_joined, %d of %d acknowledged lines "
                + "missing somewhere", ok ? "PASS" : "FAIL", moved.sum(), awayMs.getMaxValue(), leftOrJoined, missing, acked);
        return ok;
    }

    private void connect(Player p) {
        String query;
        synchronized (p) {
            query = "/ws/" + p.lobby + "?token=" + p.token + (p.epoch == null ? ""
                    : "&since=" + p.offset + "&epoch=" + URLEncoder.encode(p.epoch, StandardCharsets.UTF_8));
        }
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                .setURI(query).addHeader("Origin", "http://127.0.0.1:" + port);
        client.connect(options).onComplete(ar -> {
            if (ar.failed()) {
                retry(p);
                return;
            }
            WebSocket ws = ar.result();
            synchronized (p) {
                p.ws = ws;
            }
            ws.textMessageHandler(text -> onFrame(p, ws, new JsonObject(text)));
            ws.exceptionHandler(err -> {
            });
            ws.closeHandler(v -> onClose(p, ws));
        });
    }

    private void onFrame(Player p, WebSocket ws, JsonObject frame) {
        String type = frame.getString("type");
        if ("health_ping".equals(type)) {
            ws.writeTextMessage("{\"type\":\"health_pong\",\"timestamp\":" + frame.getLong("timestamp") + "}");
            return;
        }
        if (measuring) {
            String key = "member_left".equals(type) ? type + " " + frame.getString("reason") : type;
            heard.computeIfAbsent(key, t -> new LongAdder()).increment();
            if ("member_left".equals(type) && samples.size() < 20) {
                samples.add(String.format("%tT.%<tL %s heard member_left %s %s", System.currentTimeMillis(), p.user,
                        frame.getString("user_id"), frame.getString("reason")));
            }
        }
        synchronized (p) {
            switch (type) {
                case "welcome" -> welcome(p, frame);
                case "server_shutdown" -> p.reconnectAfterMs = frame.getLong("reconnect_after_ms");
                case "ack" -> p.acked.set(Integer.parseInt(frame.getString("id")));
                case "log_reset" -> {
                    p.epoch = frame.getString("epoch");
                    p.offset = frame.getLong("offset");
                }
                default -> {
                    if (frame.containsKey("offset")) {
                        long offset = frame.getLong("offset");
                        if (offset <= p.offset) {
                            outOfOrder.increment();
                        }
                        p.offset = Math.max(p.offset, offset);
                    }
                    if ("lobby_message".equals(type)) {
                        String from = frame.getString("from");
                        int slot = Integer.parseInt(from.substring(from.lastIndexOf('u') + 1)) % lobbySize;
                        if (p.received[slot].get(frame.getInteger("data"))) {
                            duplicates.increment();
                        }
                        p.received[slot].set(frame.getInteger("data"));
                    }
                }
            }
        }
    }

    private void welcome(Player p, JsonObject frame) {
        if (p.closedNanos != 0) {
            long away = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p.closedNanos);
            awayMs.recordValue(away);
            overHintMs.recordValue(Math.max(0, away - p.reconnectAfterMs));
            p.closedNanos = 0;
        }
        if (frame.containsKey("recovered") && !frame.getBoolean("recovered")) {
            notRecovered.increment();
            samples.add(String.format("%tT.%<tL %s back not recovered after %d ms away (hint %d ms): %s",
                    System.currentTimeMillis(), p.user, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - p.closedNanos),
                    p.reconnectAfterMs, frame.encode()));
        }
        if (!Boolean.TRUE.equals(frame.getBoolean("recovered"))) {
            // A newcomer, or a return the log could not serve: live frames from the welcome's offset on.
            p.epoch = frame.getString("epoch");
            p.offset = frame.getLong("offset");
        }
        p.seated = true;
        p.attempts = 0;
        p.reconnectAfterMs = 0;
        seated.increment();
    }

    private void onClose(Player p, WebSocket ws) {
        Short status = ws.closeStatusCode();
        String code = status == null ? "1006" : status.toString();
        closes.computeIfAbsent(code + (ws.closeReason() == null || ws.closeReason().isEmpty() ? "" : " " + ws.closeReason()),
                c -> new LongAdder()).increment();
        long delay;
        synchronized (p) {
            if (p.ws != ws) {
                return;
            }
            if (!p.seated) {
                retry(p);
                return;
            }
            p.seated = false;
            seated.decrement();
            if (status != null && status == 1012) {
                moved.increment();
            }
            p.closedNanos = System.nanoTime();
            // As the browser client: the server's hint after a drain, at once after any other drop.
            delay = p.reconnectAfterMs;
        }
        if (delay > 0) {
            vertx.setTimer(delay, t -> connect(p));
        } else {
            connect(p);
        }
    }

    /** Full-jitter backoff while a connection is refused or the balancer has no node for it. */
    private void retry(Player p) {
        refused.increment();
        int attempt;
        synchronized (p) {
            attempt = ++p.attempts;
        }
        long cap = Math.min(MAX_BACKOFF_MS, 250L << Math.min(attempt, 5));
        vertx.setTimer(1 + ThreadLocalRandom.current().nextLong(cap), t -> connect(p));
    }

    private void say(Player p) {
        if (!talking) {
            return;
        }
        synchronized (p) {
            if (!p.seated || p.ws == null || p.ws.isClosed()) {
                return;
            }
            int line = ++p.sent;
            p.ws.writeTextMessage("{\"type\":\"lobby_message\",\"data\":" + line + ",\"id\":\"" + line + "\"}");
        }
    }

    private static Map<String, Long> sums(Map<String, LongAdder> counters) {
        Map<String, Long> sums = new HashMap<>();
        counters.forEach((k, v) -> sums.put(k, v.sum()));
        return sums;
    }

    private static JsonObject percentiles(Histogram h) {
        return new JsonObject().put("count", h.getTotalCount()).put("p50", h.getValueAtPercentile(50))
                .put("p99", h.getValueAtPercentile(99)).put("max", h.getMaxValue());
    }

    private static void write(Path file) {
        try {
            Files.writeString(file, "ready\n");
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file, e);
        }
    }

    private static void print(String format, Object... args) {
        System.out.printf(format + "%n", args);
    }
}
