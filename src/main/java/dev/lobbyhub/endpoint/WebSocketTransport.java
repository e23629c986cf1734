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
import io.netty.channel.ChannelHandlerContext;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Context;
import io.vertx.core.Handler;

/**
 * A session's socket. Every frame and the final close go through one queue drained on the
 * connection's own event loop, so a client receives them in the order they were sent, whichever
 * threads sent them; a drain hands all waiting frames over and flushes once.
 *
 * <p>
 * Two backlogs are watched. Frames handed to the socket and not yet written mean the client is
 * not reading: over {@code max-outbound-bytes} (UTF-8 bytes) it is closed {@code slow_consumer},
 * and so it is when it accepts no bytes at all for {@code write-timeout} (the health sweep asks
 * {@link #writeStalled}). Frames still waiting in the queue mean this node is behind, which is not
 * the client's fault, so they are allowed {@link #QUEUE_FACTOR} times as much (counted in characters,
 * their size in memory) before the same close protects the node's memory.
 */
final class WebSocketTransport implements Transport, Handler<Void> {

    private static final Logger LOG = Logger.getLogger(WebSocketTransport.class);
    static final int QUEUE_FACTOR = 8;

    private final WebSocketConnection connection;
    private final FrameWriter writer;
    private final Context context;
    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final long maxUnwritten;
    private final long maxQueued;
    /** Frames (String) and at most one close (CloseCode), in order. */
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicLong queued = new AtomicLong();
    /**
     * Whether the client had not taken everything when the last drain ended. The health sweep looks at
     * the channel only for these: reaching it for every idle connection each second made the sweep
     * walk twice as slow at 19,000 connections.
     */
    private volatile boolean leftBacklog;
    /** The writer's progress when the sweep first saw the current backlog, or -1 with none; sweep only. */
    private long stallMark = -1;
    private long stallSinceNanos;
    private volatile boolean closing;
    /** The code of the close once {@link #close} was called: queued behind the frames, or sent at once. */
    private volatile CloseCode closeCode;
    /** The retry hint of the close reason, -1 for none; written before {@link #closeCode}. */
    private volatile long closeHintMs = -1;
    private volatile Session session;

    /** Created in {@code @OnOpen}, on the connection's event loop, whose context it keeps. */
    WebSocketTransport(WebSocketConnection connection, Context context, ConnectionRegistry registry,
            LobbyhubMetrics metrics, long maxUnwritten, int maxFrameSize) {
        this(connection, channelWriter(connection, maxFrameSize), context, registry, metrics, maxUnwritten);
    }

    /** With the writer given: null sends every frame through {@link WebSocketConnection#sendText}. */
    WebSocketTransport(WebSocketConnection connection, FrameWriter writer, Context context,
            ConnectionRegistry registry, LobbyhubMetrics metrics, long maxUnwritten) {
        this.connection = connection;
        this.writer = writer != null ? writer : new SendTextFrameWriter(connection, this::sendFailed);
        this.context = context;
        this.registry = registry;
        this.metrics = metrics;
        this.maxUnwritten = maxUnwritten;
        this.maxQueued = maxUnwritten * QUEUE_FACTOR;
    }

    private static FrameWriter channelWriter(WebSocketConnection connection, int maxFrameSize) {
        ChannelHandlerContext channel = RawSockets.channelOf(connection);
        return channel == null ? null : new ChannelFrameWriter(channel, maxFrameSize);
    }

    /** Binds the admitted session, so that failures can close it through the registry and frames reach it. */
    @Override
    public void admitted(Session session) {
        this.session = session;
    }

    /** The admitted session, or null before its welcome (or when it was refused). */
    Session session() {
        return session;
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
        queue.add(text);
        scheduleDrain();
    }

    @Override
    public void close(CloseCode code) {
        close(code, -1);
    }

    @Override
    public void close(CloseCode code, long hintMs) {
        if (closing) {
            return;
        }
        closeHintMs = hintMs;
        closeCode = code;
        closing = true;
        if (code == CloseCode.SLOW_CONSUMER) {
            // The backlog is the problem: close now instead of behind it.
            queue.clear();
            closeSocket(code);
        } else {
            queue.add(code);
            scheduleDrain();
        }
    }

    @Override
    public void afterInbound(Runnable action) {
        if (context == null) {
            action.run();
        } else {
            context.runOnContext(ignored -> action.run());
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            if (context == null) {
                drain();
            } else {
                // The transport is its own drain task: no new object per scheduled drain.
                context.runOnContext(this);
            }
        }
    }

    /** The drain task, scheduled by {@link #scheduleDrain}. */
    @Override
    public void handle(Void ignored) {
        drain();
    }

    /** On the connection's event loop: hands queued frames to the socket, in order, and flushes once. */
    private void drain() {
        drainScheduled.set(false);
        // Checked once per drain (it takes the socket's lock): once the client has left, or its socket
        // broke, nothing more can reach it.
        boolean gone = connection.isClosed();
        long room = maxUnwritten - writer.backlog();
        boolean handedOver = false;
        Object item;
        while ((item = queue.poll()) != null) {
            if (item instanceof CloseCode code) {
                flushIf(handedOver);
                closeSocket(code);
                queue.clear();
                return;
            }
            String text = (String) item;
            queued.addAndGet(-text.length());
            if (gone) {
                continue;
            }
            long size = writer.write(text, room);
            if (size < 0) {
                flushIf(handedOver);
                overflowed();
                return;
            }
            room -= size;
            handedOver = true;
        }
        flushIf(handedOver);
        leftBacklog = writer.backlogged();
    }

    private void flushIf(boolean handedOver) {
        if (handedOver) {
            writer.flush();
        }
    }

    /** On the event loop: a frame did not fit under {@code max-outbound-bytes}. */
    private void overflowed() {
        metrics.dropped(DropReason.SEND_FAILED);
        if (closing) {
            // A close is already decided and queued behind this backlog: send it now instead of never.
            queue.clear();
            closeSocket(closeCode);
        } else {
            fail(CloseCode.SLOW_CONSUMER);
        }
    }

    @Override
    public boolean writeStalled(long nowNanos, long timeoutNanos) {
        if (closing || !leftBacklog) {
            stallMark = -1;
            return false;
        }
        // A drain, even of nothing, brings the writer's progress and leftBacklog up to date for the next sweep.
        scheduleDrain();
        if (!writer.backlogged()) {
            stallMark = -1;
            return false;
        }
        long progress = writer.progress();
        if (progress != stallMark) {
            // A new backlog, or the old one moved: the clock starts (again) now.
            stallMark = progress;
            stallSinceNanos = nowNanos;
            return false;
        }
        return nowNanos - stallSinceNanos >= timeoutNanos;
    }

    private void sendFailed(Throwable failure) {
        if (connection.isOpen() && !closing) {
            metrics.dropped(DropReason.SEND_FAILED);
            LOG.debugf("send failed conn=%s: %s", connection.id(), failure.toString());
            fail(CloseCode.INTERNAL_ERROR);
        }
    }

    private void closeSocket(CloseCode code) {
        if (connection.isClosed()) {
            // The client left first: nothing to send (and no warning to log). Vert.x does not know of a
            // close FrameGuard sent; CloseFrameGate drops the second one.
            return;
        }
        connection.close(new CloseReason(code.code(), code.reason(code == closeCode ? closeHintMs : -1))).subscribe().with(
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
