package dev.lobbyhub.registry;

import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

/**
 * Warns once when the node passes 80 % and once at 100 % of {@code max-connections}; re-arms
 * only when the count falls well back (below 75 %, or below 90 % for the full warning), so a node
 * whose count flaps at its limit does not write a warning per connection.
 */
final class CapacityWarnings {

    private static final Logger LOG = Logger.getLogger(CapacityWarnings.class);
    private static final int NONE = 0;
    private static final int HIGH = 80;
    private static final int FULL = 100;

    private final int max;
    private final AtomicInteger warned = new AtomicInteger(NONE);

    CapacityWarnings(int max) {
        this.max = max;
    }

    /** Takes the new connection count; returns the level (80 or 100) it warned about, or 0. */
    int onChange(int count) {
        long percent = count * 100L / max;
        int level = percent >= FULL ? FULL : percent >= HIGH ? HIGH : NONE;
        int previous = warned.get();
        if (level > previous) {
            if (warned.compareAndSet(previous, level)) {
                LOG.warnf("capacity at %d%%: %d of %d connections (lobbyhub.limits.max-connections)", percent, count,
                        max);
                return level;
            }
        } else if (previous == FULL && percent < 90) {
            warned.compareAndSet(FULL, HIGH);
        } else if (previous == HIGH && percent < 75) {
            warned.compareAndSet(HIGH, NONE);
        }
        return NONE;
    }
}
