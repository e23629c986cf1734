package dev.lobbyhub.health;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.jboss.logging.Logger;

/**
 * The log of connections refused {@code server_busy} (SPEC §14): one line per refusal would be thousands of lines
 * a second in a storm, each written on the event loop that is already behind. So each refusal is counted, and one
 * INFO line says how many were refused since the last one, at most every {@value #EVERY_SECONDS} s: the first
 * refusal is logged at once, then the first one after each {@value #EVERY_SECONDS} s. Each refusal is still counted by {@code lobbyhub_connections_rejected_total}, and
 * logged on its own at DEBUG.
 */
public final class BusyRefusalLog {

    private static final Logger LOG = Logger.getLogger(BusyRefusalLog.class);
    static final long EVERY_SECONDS = 5;

    private final LongSupplier clock;
    private final AtomicLong unlogged = new AtomicLong();
    private final AtomicLong lastLineNanos;

    public BusyRefusalLog() {
        this(System::nanoTime);
    }

    BusyRefusalLog(LongSupplier clock) {
        this.clock = clock;
        this.lastLineNanos = new AtomicLong(clock.getAsLong() - TimeUnit.SECONDS.toNanos(EVERY_SECONDS));
    }

    /**
     * Counts one refusal; answers the line to log at INFO when it is time for one (the count since the last line,
     * this refusal's cause), else null.
     */
    String refused(String why) {
        unlogged.incrementAndGet();
        long now = clock.getAsLong();
        long last = lastLineNanos.get();
        if (now - last < TimeUnit.SECONDS.toNanos(EVERY_SECONDS) || !lastLineNanos.compareAndSet(last, now)) {
            return null;
        }
        long refused = unlogged.getAndSet(0); // refusals counted meanwhile on other event loops go into this line
        return String.format("refused %d new connection%s server_busy in the last %d s (now: %s)", refused,
                refused == 1 ? "" : "s", Math.max(1, TimeUnit.NANOSECONDS.toSeconds(now - last)), why);
    }

    /** Counts and, at most every few seconds, logs. */
    public void log(String connectionId, String reason, String why) {
        if (LOG.isDebugEnabled()) {
            LOG.debugf("reject conn=%s reason=%s (%s)", connectionId, reason, why);
        }
        String line = refused(why);
        if (line != null) {
            LOG.info(line);
        }
    }
}
