package dev.lobbyhub.endpoint;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import dev.lobbyhub.registry.Transport;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;

/**
 * A session's socket. Every frame and the final close go through one queue drained on the
 * connection's own event loop, so a client receives them in the order they were sent, whichever
 * threads sent them.
 *
 * <p>
 * Two backlogs are watched. Frames handed to the socket and not yet written mean the client is
 * not reading: over {@code max-outbound-bytes} it is closed {@code slow_consumer}. Frames still
 * waiting in the queue mean this node is behind, which is not the client's fault, so they are
 * allowed {@link #QUEUE_FACTOR} times as much before the same close protects the node's memory.
 */
final class WebSocketTransport implements Transport {

    private static final Logger LOG = Logger.getLogger(WebSocketTransport.class);
    static final int QUEUE_FACTOR = 8;

    private final WebSocketConnection connection;
    /** The Vert.x socket underneath, written directly when reachable (see {@link RawSockets}). */
    private final ServerWebSocket socket;
    private final Context context;
    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final long maxUnwritten;
    private final long maxQueued;
    /** Frames (String) and at most one close (CloseCode), in order. */
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong unwritten = new AtomicLong();
    private volatile boolean closing;
    /** The code of the close once {@link #close} was called: queued behind the frames, or sent at once. */
    private volatile CloseCode closeCode;
    private volatile Session session;

    /** Created in {@code @OnOpen}, on the connection's event loop, whose context it keeps. */
    WebSocketTransport(WebSocketConnection connection, Context context, ConnectionRegistry registry,
            LobbyhubMetrics metrics, long maxUnwritten) {
        this(connection, RawSockets.of(connection), context, registry, metrics, maxUnwritten);
    }

    /** With the socket given: null sends every frame through {@link WebSocketConnection#sendText}. */
    WebSocketTransport(WebSocketConnection connection, ServerWebSocket socket, Context context,
            ConnectionRegistry registry, LobbyhubMetrics metrics, long maxUnwritten) {
        this.connection = connection;
        this.socket = socket;
        this.context = context;
        this.registry = registry;
        this.metrics = metrics;
        this.maxUnwritten = maxUnwritten;
        this.maxQueued = maxUnwritten * QUEUE_FACTOR;
    }

    /** Binds the admitted session, so that failures can close it through the registry. */
    void attach(Session session) {
        this.session = session;
    }

    @Override
    public void send(String text) {
        if (closing) {
            return;
        }
        if (queued.addAndGet(text.length()) > maxQueued) {
            metrics.dropped(DropReason.SEND_FAILED);
            fail(CloseCode.SLOW_CONSUMER);
            return;
        }
        enqueue(text);
    }

    @Override
    public void close(CloseCode code) {
        if (closing) {
            return;
        }
        closeCode = code;
        closing = true;
        if (code == CloseCode.SLOW_CONSUMER) {
            // The backlog is the problem: close now instead of behind it.
            queue.clear();
            closeSocket(code);
        } else {
            enqueue(code);
        }
    }

    private void enqueue(Object item) {
        queue.add(item);
        if (drainScheduled.compareAndSet(false, true)) {
            if (context == null) {
                drain(null);
            } else {
                context.runOnContext(this::drain);
            }
        }
    }

    /** On the connection's event loop: hands queued frames to the socket, in order. */
    private void drain(Void ignored) {
        drainScheduled.set(false);
        Object item;
        while ((item = queue.poll()) != null) {
            if (item instanceof CloseCode code) {
                closeSocket(code);
                queue.clear();
                return;
            }
            String text = (String) item;
            long size = text.length();
            queued.addAndGet(-size);
            if (unwritten.addAndGet(size) > maxUnwritten) {
                metrics.dropped(DropReason.SEND_FAILED);
                if (closing) {
                    // A close is already decided and queued behind this backlog: send it now instead of never.
                    queue.clear();
                    closeSocket(closeCode);
                } else {
                    fail(CloseCode.SLOW_CONSUMER);
                }
                return;
            }
            if (socket != null) {
                socket.writeTextMessage(text).onComplete(written -> {
                    if (written.succeeded()) {
                        unwritten.addAndGet(-size);
                    } else {
                        sendFailed(size, written.cause());
                    }
                });
            } else {
                connection.sendText(text).subscribe().with(written -> unwritten.addAndGet(-size),
                        failure -> sendFailed(size, failure));
            }
        }
    }

    private void sendFailed(long size, Throwable failure) {
        unwritten.addAndGet(-size);
        if (connection.isOpen() && !closing) {
            metrics.dropped(DropReason.SEND_FAILED);
            LOG.debugf("send failed conn=%s: %s", connection.id(), failure.toString());
            fail(CloseCode.INTERNAL_ERROR);
        }
    }

    private void closeSocket(CloseCode code) {
        if (connection.isClosed()) {
            // The client left, or FrameGuard closed it, first: nothing to send (and no warning to log).
            return;
        }
        connection.close(new CloseReason(code.code(), code.reason())).subscribe().with(
                closed -> {
                },
                failure -> LOG.debugf("close failed conn=%s: %s", connection.id(), failure.toString()));
    }

    private void fail(CloseCode code) {
        Session bound = session;
        if (bound != null) {
            registry.disconnect(bound, code);
        } else {
            close(code);
        }
    }
}
