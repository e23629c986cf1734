package dev.lobbyhub.endpoint;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.lobbyhub.protocol.Utf8;
import io.quarkus.websockets.next.WebSocketConnection;

/**
 * Frames written through {@link WebSocketConnection#sendText}, counted down as each completes: the
 * fallback for when the socket's channel cannot be reached (see {@link RawSockets}).
 */
final class SendTextFrameWriter implements FrameWriter {

    private final WebSocketConnection connection;
    private final Consumer<Throwable> onFailure;
    private final AtomicLong unwritten = new AtomicLong();
    /** UTF-8 bytes the socket has written in all; only the event loop adds to it. */
    private volatile long written;

    SendTextFrameWriter(WebSocketConnection connection, Consumer<Throwable> onFailure) {
        this.connection = connection;
        this.onFailure = onFailure;
    }

    @Override
    public long backlog() {
        return unwritten.get();
    }

    @Override
    public long write(String text, long room) {
        long size = Utf8.length(text);
        if (size > room) {
            return -1;
        }
        unwritten.addAndGet(size);
        connection.sendText(text).subscribe().with(done -> {
            unwritten.addAndGet(-size);
            written += size;
        }, failure -> {
            unwritten.addAndGet(-size);
            onFailure.accept(failure);
        });
        return size;
    }

    @Override
    public void flush() {
        // sendText flushes each frame itself.
    }

    @Override
    public boolean backlogged() {
        return unwritten.get() > 0;
    }

    @Override
    public long progress() {
        return written;
    }
}
