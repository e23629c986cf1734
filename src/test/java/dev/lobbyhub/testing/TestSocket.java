package dev.lobbyhub.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import io.vertx.core.json.JsonObject;

/**
 * A real WebSocket client for tests (the JDK's). Its listener exists before the handshake, so no
 * frame is missed; frames queue up until a test asks for them, and every wait is bounded.
 */
public final class TestSocket implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(WAIT).build();

    /** How the server closed the connection; code -1 when the connection dropped without a close frame. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<JsonObject> healthPings = new LinkedBlockingQueue<>();
    private volatile boolean answerPings = true;
    private volatile boolean paused;
    private volatile boolean demandOwed;
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private volatile WebSocket socket;
    /** Sends are chained: the JDK client allows one outstanding send at a time. */
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

    private TestSocket() {
    }

    /** Connects to {@code base + path} (path holds the query) and waits for the handshake to finish. */
    public static TestSocket connect(URI base, String pathAndQuery) {
        return connect(base, pathAndQuery, null);
    }

    /** As {@link #connect(URI, String)}, with an {@code Authorization: Bearer} header when given. */
    public static TestSocket connect(URI base, String pathAndQuery, String bearer) {
        TestSocket test = new TestSocket();
        // A browser-like agent: the server's HTTP layer closes JDK-client connections early at shutdown
        // (a workaround for a JDK bug), which is not what browsers see.
        WebSocket.Builder builder = CLIENT.newWebSocketBuilder().connectTimeout(WAIT)
                .header("User-Agent", "lobbyhub-test-client");
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        URI uri = URI.create("ws://" + base.getHost() + ":" + base.getPort() + pathAndQuery);
        try {
            builder.buildAsync(uri, test.new Listener()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("handshake with " + pathAndQuery + " failed", e);
        }
        return test;
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                JsonObject message = new JsonObject(partial.toString());
                partial.setLength(0);
                if ("health_ping".equals(message.getString("type"))) {
                    healthPings.add(message);
                    if (answerPings) {
                        send(new JsonObject().put("type", "health_pong").put("timestamp", message.getValue("timestamp")));
                    }
                } else {
                    received.add(message);
                }
            }
            if (paused) {
                demandOwed = true;
            } else {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(-1, String.valueOf(error)));
        }
    }

    /** Convenience: {@code /ws/{lobby}?token=...}. */
    public static TestSocket join(URI base, String lobby, String token) {
        return connect(base, "/ws/" + lobby + "?token=" + token);
    }

    /** Joins and checks that the first frame is the welcome; returns the welcome. */
    public static TestSocket joinWelcomed(URI base, String lobby, String token) {
        TestSocket socket = join(base, lobby, token);
        try {
            socket.expect("welcome");
        } catch (AssertionError e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    /**
     * Stops answering {@code health_ping}, as a tab whose script hangs would. Pings are kept apart
     * from other frames either way (see {@link #nextHealthPing()}), so they never disturb
     * {@link #next()}.
     */
    public TestSocket stopAnsweringPings() {
        answerPings = false;
        return this;
    }

    /** Stops reading from the socket, as a client on a stalled network would: the server's writes back up. */
    public void pauseReading() {
        paused = true;
    }

    public void resumeReading() {
        paused = false;
        if (demandOwed) {
            demandOwed = false;
            socket.request(1);
        }
    }

    /** The next {@code health_ping} the server sent; fails after {@link #WAIT}. */
    public JsonObject nextHealthPing() {
        try {
            JsonObject ping = healthPings.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (ping == null) {
                fail("no health_ping within " + WAIT);
            }
            return ping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public synchronized void send(String text) {
        lastSend = lastSend.thenCompose(ignored -> socket.sendText(text, true));
    }

    public void send(JsonObject message) {
        send(message.encode());
    }

    public synchronized void sendBinary(byte[] data) {
        lastSend = lastSend.thenCompose(ignored -> socket.sendBinary(ByteBuffer.wrap(data), true));
    }

    /** Waits until every send given so far has been handed to the network; fails after {@link #WAIT}. */
    public void awaitSent() {
        CompletableFuture<?> last;
        synchronized (this) {
            last = lastSend;
        }
        try {
            last.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("sends not written within " + WAIT, e);
        }
    }

    /**
     * Sends a close frame with 1000 right behind every send given before it (the client leaves as soon
     * as its last message is out), without waiting for anything.
     */
    public synchronized void closeAfterSends() {
        lastSend = lastSend.thenCompose(ignored -> socket.sendClose(WebSocket.NORMAL_CLOSURE, ""));
    }

    /** The next frame, whatever it is; fails after {@link #WAIT}. */
    public JsonObject next() {
        try {
            JsonObject message = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                fail("no frame within " + WAIT + (closed.isDone() ? "; closed " + closed.getNow(null) : ""));
            }
            return message;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame, or null when the connection closes before one arrives; fails after {@link #WAIT}. */
    public JsonObject nextOrClose() {
        return nextOrClose(WAIT);
    }

    /** As {@link #nextOrClose()}, waiting up to {@code wait}. */
    public JsonObject nextOrClose(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                JsonObject message = received.poll(20, TimeUnit.MILLISECONDS);
                if (message != null) {
                    return message;
                }
                if (closed.isDone() && received.isEmpty()) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        throw new AssertionError("neither a frame nor a close within " + WAIT);
    }

    /** The next frame, which must be of this type. */
    public JsonObject expect(String type) {
        JsonObject message = next();
        assertEquals(type, message.getString("type"), () -> "unexpected frame " + message);
        return message;
    }

    /** The first frame of this type, skipping the ones before it that {@code skip} accepts. */
    public JsonObject expectSkipping(String type, Predicate<JsonObject> skip) {
        while (true) {
            JsonObject message = next();
            if (type.equals(message.getString("type"))) {
                return message;
            }
            if (!skip.test(message)) {
                fail("expected " + type + " but got " + message);
            }
        }
    }

    /** Frames received and not yet taken. */
    public int pending() {
        return received.size();
    }

    /** Waits for the server to close the connection and says how. */
    public Close awaitClose() {
        try {
            return closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("not closed within " + WAIT, e);
        }
    }

    /** Waits for the close and checks code and reason; then checks no frame came before it. */
    public void expectRejected(int code, String reason) {
        Close close = awaitClose();
        assertEquals(new Close(code, reason), close);
        assertEquals(0, received.size(), () -> "frames before the close: " + received);
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(ignored -> null);
        }
    }

    /** Sends a close frame with this code, as a page that goes away (1001) does. */
    public void closeWith(int code) {
        socket.sendClose(code, "").exceptionally(ignored -> null);
    }

    /** Drops the TCP connection without a close frame, as a crashed client would. */
    public void abort() {
        socket.abort();
    }
}
