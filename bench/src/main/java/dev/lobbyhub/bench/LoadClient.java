package dev.lobbyhub.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.IntUnaryOperator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

/**
 * Opens connections to {@code /ws/{lobby}}, {@code lobbySize} users per lobby, spread over
 * 127.0.0.1, 127.0.0.2, … ({@code perAddress} each) with at most {@code inFlight} handshakes
 * pending. Every connection answers {@code health_ping} unless it has been made {@link Conn#silent};
 * every frame received is counted by type and handed to the listener. The handshake looks like a
 * browser's: token in the query, {@code Origin}, {@code User-Agent}, a cookie, and the
 * permessage-deflate offer (which the servers under test decline). A handshake refused with a retry
 * hint ({@code server_busy:<ms>}, SPEC §14) is tried again after the hint, as the browser client does. By default every connection goes to
 * {@link Target#port()}; {@link #across} spreads them over several servers (the nodes of a cluster).
 */
final class LoadClient {

    /** Where the server listens and how to sign tokens for it. */
    record Target(int port, int perAddress, String secret) {
    }

    /** One connection and what happened to it; fields are written by its event loop. */
    static final class Conn {
        final int index;
        final String userId;
        final String lobby;
        /** Which server it is connected to: an index into the ports given to {@link #across} (0 by default). */
        final int node;
        volatile WebSocket ws;
        /** When true, the connection answers nothing and sends nothing. */
        volatile boolean silent;
        volatile JsonObject welcome;
        /** When the first connect attempt started, and when the welcome arrived. */
        volatile long connectingNanos;
        volatile long welcomedNanos;
        /** When this client last sent a frame on it (the handshake counts). */
        volatile long lastSentNanos;
        volatile int closeCode = -1;
        volatile String closeReason;
        volatile long closedNanos;
        volatile Throwable failure;

        Conn(int index, String userId, String lobby, int node) {
            this.index = index;
            this.userId = userId;
            this.lobby = lobby;
            this.node = node;
        }

        boolean isClosed() {
            return closedNanos != 0;
        }

        void send(String text) {
            if (!silent && ws != null && !ws.isClosed()) {
                lastSentNanos = System.nanoTime();
                ws.writeTextMessage(text);
            }
        }
    }

    private static final int MAX_ATTEMPTS = 3;
    private static final long WELCOME_TIMEOUT_MS = 15_000;
    private static final String USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + "Chrome/131.0.0.0 Safari/537.36";

    private final Vertx vertx;
    private final Target target;
    private final String lobbyPrefix;
    private final int lobbySize;
    private final int inFlight;
    private final Tokens tokens;
    private final WebSocketClient client;
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final Map<String, LongAdder> framesByType = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> closesByCode = new ConcurrentHashMap<>();
    private final LongAdder failed = new LongAdder();
    private final LongAdder compressed = new LongAdder();
    private final LongAdder busyRefusals = new LongAdder();
    private int[] ports;
    private IntUnaryOperator nodeOf = index -> 0;
    private volatile BiConsumer<Conn, JsonObject> listener = (conn, frame) -> {
    };

    LoadClient(Vertx vertx, Target target, String lobbyPrefix, int lobbySize, int inFlight) {
        this(vertx, target, lobbyPrefix, lobbySize, inFlight, 0);
    }

    /** @param receiveBufferBytes fixed socket receive buffer (turns off the kernel's auto-tuning), 0 = the default */
    LoadClient(Vertx vertx, Target target, String lobbyPrefix, int lobbySize, int inFlight, int receiveBufferBytes) {
        this.vertx = vertx;
        this.target = target;
        this.lobbyPrefix = lobbyPrefix;
        this.lobbySize = lobbySize;
        this.inFlight = inFlight;
        this.tokens = new Tokens(target.secret());
        this.ports = new int[] { target.port() };
        WebSocketClientOptions options = new WebSocketClientOptions()
                .setMaxConnections(Integer.MAX_VALUE)
                .setConnectTimeout(10_000)
                .setTryUsePerMessageCompression(true)
                .setIdleTimeout(0);
        if (receiveBufferBytes > 0) {
            options.setReceiveBufferSize(receiveBufferBytes);
        }
        this.client = vertx.createWebSocketClient(options);
    }

    /**
     * Connections added from now on go to {@code ports[nodeOf(index)]} instead of the target's port
     * (one lobby's members may then be on different servers).
     */
    LoadClient across(int[] ports, IntUnaryOperator nodeOf) {
        this.ports = ports.clone();
        this.nodeOf = nodeOf;
        return this;
    }

    /** Called on the connection's event loop for every frame, after the built-in handling. */
    void onFrame(BiConsumer<Conn, JsonObject> listener) {
        this.listener = listener;
    }

    /**
     * Adds {@code count} connections; the future completes when each has its {@code welcome} or
     * has failed for good (closed before the welcome without a retry hint, or not connected after
     * {@value #MAX_ATTEMPTS} attempts).
     */
    Future<Void> connect(int count) {
        int first = conns.size();
        for (int i = first; i < first + count; i++) {
            int node = nodeOf.applyAsInt(i);
            if (node < 0 || node >= ports.length) {
                throw new IllegalArgumentException("connection " + i + " routed to node " + node + " of " + ports.length);
            }
            conns.add(new Conn(i, lobbyPrefix + "-u" + i, lobbyPrefix + "-" + (i / lobbySize), node));
        }
        Promise<Void> all = Promise.promise();
        if (count == 0) {
            all.complete();
            return all.future();
        }
        AtomicInteger next = new AtomicInteger(first);
        AtomicInteger settled = new AtomicInteger();
        Runnable launchNext = new Runnable() {
            @Override
            public void run() {
                int i = next.getAndIncrement();
                if (i < first + count) {
                    open(conns.get(i), 1, () -> {
                        if (settled.incrementAndGet() == count) {
                            all.complete();
                        } else {
                            run();
                        }
                    });
                }
            }
        };
        for (int i = 0; i < Math.min(inFlight, count); i++) {
            launchNext.run();
        }
        return all.future();
    }

    private void open(Conn conn, int attempt, Runnable settled) {
        int address = 1 + conn.index / target.perAddress();
        int port = ports[conn.node];
        WebSocketConnectOptions options = new WebSocketConnectOptions()
                .setHost("127.0.0." + address)
                .setPort(port)
                .setURI("/ws/" + conn.lobby + "?token=" + tokens.forUser(conn.userId))
                .addHeader("Origin", "http://127.0.0.1:" + port)
                .addHeader("User-Agent", USER_AGENT)
                .addHeader("Cookie", "game_session=s" + conn.index + "; theme=dark");
        conn.lastSentNanos = System.nanoTime();
        if (attempt == 1) {
            conn.connectingNanos = conn.lastSentNanos;
        }
        client.connect(options).onComplete(ar -> {
            if (ar.failed()) {
                if (attempt < MAX_ATTEMPTS) {
                    vertx.setTimer(200L * attempt, t -> open(conn, attempt + 1, settled));
                } else {
                    conn.failure = ar.cause();
                    failed.increment();
                    settled.run();
                }
                return;
            }
            WebSocket ws = ar.result();
            conn.ws = ws;
            if (ws.headers() != null && ws.headers().contains("Sec-WebSocket-Extensions")) {
                compressed.increment();
            }
            ws.textMessageHandler(text -> {
                JsonObject frame = new JsonObject(text);
                String type = frame.getString("type");
                framesByType.computeIfAbsent(type, t -> new LongAdder()).increment();
                if ("welcome".equals(type) && conn.welcome == null) {
                    conn.welcome = frame;
                    conn.welcomedNanos = System.nanoTime();
                    settled.run();
                } else if ("health_ping".equals(type)) {
                    conn.send("{\"type\":\"health_pong\",\"timestamp\":" + frame.getLong("timestamp") + "}");
                }
                listener.accept(conn, frame);
            });
            // A server that upgrades but never welcomes must not hang the run: give up, count it failed.
            vertx.setTimer(WELCOME_TIMEOUT_MS, t -> {
                if (conn.welcome == null && !ws.isClosed()) {
                    ws.close();
                }
            });
            ws.exceptionHandler(err -> {
                // A reset shows up as a close; nothing else to do here.
            });
            ws.closeHandler(v -> {
                Short code = ws.closeStatusCode();
                conn.closeCode = code == null ? 1006 : code;
                conn.closeReason = ws.closeReason();
                conn.closedNanos = System.nanoTime();
                closesByCode.computeIfAbsent(conn.closeCode, c -> new LongAdder()).increment();
                if (conn.welcome == null) {
                    long hint = StormScenario.busyHintMs(conn.closeCode, conn.closeReason);
                    if (hint >= 0) { // a paced server (SPEC §14) said when to come back
                        busyRefusals.increment();
                        vertx.setTimer(Math.max(1, hint), t -> open(conn, attempt, settled));
                        return;
                    }
                    failed.increment();
                    settled.run();
                }
            });
        });
    }

    List<Conn> conns() {
        return conns;
    }

    long welcomed() {
        return conns.stream().filter(c -> c.welcome != null).count();
    }

    long failed() {
        return failed.sum();
    }

    /** Handshakes refused 1013 {@code server_busy:<ms>} and tried again after the hint. */
    long busyRefusals() {
        return busyRefusals.sum();
    }

    /** Connections on which the server accepted the compression offer (none should: it skews the comparison). */
    long compressed() {
        return compressed.sum();
    }

    long frames(String type) {
        LongAdder n = framesByType.get(type);
        return n == null ? 0 : n.sum();
    }

    Map<String, LongAdder> framesByType() {
        return framesByType;
    }

    Map<Integer, LongAdder> closesByCode() {
        return closesByCode;
    }

    /** Closes every open connection with 1000 and the client; completes when the sockets are gone. */
    Future<Void> close() {
        List<Future<Void>> closing = conns.stream()
                .filter(c -> c.ws != null && !c.ws.isClosed())
                .map(c -> c.ws.close())
                .toList();
        return Future.join(closing).eventually(() -> client.close()).mapEmpty();
    }
}
