package dev.lobbyhub.endpoint;

import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.CloseCode;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import dev.lobbyhub.registry.Transport;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * A session's socket. Counts the characters queued to the client and not yet written; when the
 * backlog passes {@code max-outbound-bytes} the client is not reading, and it is closed
 * {@code slow_consumer} instead of making the server hold ever more for it.
 */
final class WebSocketTransport implements Transport {

    private static final Logger LOG = Logger.getLogger(WebSocketTransport.class);

    private final WebSocketConnection connection;
    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final long maxQueued;
    private final AtomicLong queued = new AtomicLong();
    private volatile Session session;

    WebSocketTransport(WebSocketConnection connection, ConnectionRegistry registry, LobbyhubMetrics metrics,
            long maxQueued) {
        this.connection = connection;
        this.registry = registry;
        this.metrics = metrics;
        this.maxQueued = maxQueued;
    }

    /** Binds the admitted session, so that failures can close it through the registry. */
    void attach(Session session) {
        this.session = session;
    }

    @Override
    public void send(String text) {
        long size = text.length();
        if (queued.addAndGet(size) > maxQueued) {
            queued.addAndGet(-size);
            metrics.dropped(DropReason.SEND_FAILED);
            fail(CloseCode.SLOW_CONSUMER);
            return;
        }
        connection.sendText(text).subscribe().with(
                sent -> queued.addAndGet(-size),
                failure -> {
                    queued.addAndGet(-size);
                    metrics.dropped(DropReason.SEND_FAILED);
                    if (connection.isOpen()) {
                        LOG.debugf("send failed conn=%s: %s", connection.id(), failure.toString());
                        fail(CloseCode.INTERNAL_ERROR);
                    }
                });
    }

    @Override
    public void close(CloseCode code) {
        connection.close(new CloseReason(code.code(), code.reason())).subscribe().with(
                closed -> {
                },
                failure -> LOG.debugf("close failed conn=%s: %s", connection.id(), failure.toString()));
    }

    /** Bytes (UTF-16 units, close to UTF-8 bytes for JSON) queued and not yet written. */
    long queued() {
        return queued.get();
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
