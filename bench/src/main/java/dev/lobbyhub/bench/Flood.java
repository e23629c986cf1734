package dev.lobbyhub.bench;

import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Sends {@code lobby_message}s of a fixed size from one connection, each carrying its sequence
 * number {@code s} and send time {@code t} ({@link System#nanoTime()}) in {@code data}.
 */
final class Flood {

    private final Vertx vertx;
    private final LoadClient.Conn sender;
    private final String pad;
    private final AtomicLong sent = new AtomicLong();

    Flood(Vertx vertx, LoadClient.Conn sender, int size) {
        this.vertx = vertx;
        this.sender = sender;
        this.pad = "x".repeat(Math.max(0, size - message(0, System.nanoTime(), "").length()));
    }

    /**
     * Sends {@code count} more at {@code rate} a second (caught up every millisecond), or with
     * {@code rate == 0} as fast as the socket accepts them; completes with the
     * {@link System#nanoTime()} of the last send.
     */
    Future<Long> send(long count, int rate) {
        Promise<Long> done = Promise.promise();
        long start = System.nanoTime();
        long first = sent.get();
        long last = first + count;
        vertx.setPeriodic(1, timer -> {
            long due = rate == 0 ? last : Math.min(last, first + (System.nanoTime() - start) * rate / 1_000_000_000L);
            for (int i = 0; sent.get() < due && i < 1000; i++) {
                if (rate == 0 && sender.ws.writeQueueFull()) {
                    break;
                }
                sender.send(message(sent.getAndIncrement(), System.nanoTime(), pad));
            }
            if (sent.get() >= last) {
                vertx.cancelTimer(timer);
                done.complete(System.nanoTime());
            }
        });
        return done.future();
    }

    long sent() {
        return sent.get();
    }

    /** Bytes in one message. */
    int size() {
        return message(0, System.nanoTime(), pad).length();
    }

    private static String message(long seq, long nanos, String pad) {
        return "{\"type\":\"lobby_message\",\"data\":{\"s\":" + seq + ",\"t\":" + nanos + ",\"p\":\"" + pad + "\"}}";
    }
}
