package dev.lobbyhub.testing;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Background chat: each socket sends a {@code lobby_message} every {@code period} (well under the
 * inbound rate limit) until closed. A socket that closes meanwhile just stops getting its sends through.
 */
public final class Chatter implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chatter");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger sequence = new AtomicInteger();

    private Chatter() {
    }

    public static Chatter start(List<TestSocket> sockets, long periodMs) {
        Chatter chatter = new Chatter();
        chatter.timer.scheduleAtFixedRate(() -> {
            int n = chatter.sequence.incrementAndGet();
            for (TestSocket socket : sockets) {
                if (!socket.isClosed()) {
                    try {
                        socket.send(Frames.lobbyMessage("chat " + n));
                    } catch (RuntimeException closing) {
                        // the connection is going away; the others keep talking
                    }
                }
            }
        }, 0, periodMs, TimeUnit.MILLISECONDS);
        return chatter;
    }

    /** Rounds sent so far. */
    public int rounds() {
        return sequence.get();
    }

    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        timer.awaitTermination(10, TimeUnit.SECONDS);
    }
}
