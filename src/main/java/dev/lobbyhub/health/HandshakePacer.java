package dev.lobbyhub.health;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.lobbyhub.protocol.CloseCode;

/**
 * The node's handshake rate (SPEC §14): a token bucket of {@code handshakes-per-second} that holds up
 * to {@code handshake-burst}. A handshake over the rate is refused with a retry hint, so that a storm of
 * reconnects comes back as an even stream instead of in waves: refused clients are given consecutive
 * return slots at the admission rate (the backlog of slots handed out grows with each refusal and
 * drains as time passes), each hint jittered within its slot's share, and never over 30 s.
 */
public final class HandshakePacer {

    /** The shortest: coming back sooner than this only costs the node another refusal. */
    static final long MIN_HINT_MS = 100;

    private final double perNano;
    private final double burst;
    private final long slotNanos;
    private final LongSupplier clock;
    private double tokens;
    private long refilledAt;
    /** When the last return slot handed out begins; slots are {@code 1 / rate} apart. */
    private long lastSlot;

    public HandshakePacer(int perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    HandshakePacer(int perSecond, int burst, LongSupplier clock) {
        if (perSecond <= 0 || burst <= 0) {
            throw new IllegalArgumentException("handshakes-per-second and handshake-burst must be positive");
        }
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.slotNanos = Math.max(1, TimeUnit.SECONDS.toNanos(1) / perSecond);
        this.clock = clock;
        this.tokens = burst;
        this.refilledAt = clock.getAsLong();
        this.lastSlot = refilledAt;
    }

    /** Takes a token: -1 when the handshake may go on, else the hint in milliseconds for a client refused now. */
    public synchronized long admit() {
        long now = clock.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
        if (tokens >= 1) {
            tokens--;
            return -1;
        }
        return nextSlot(now);
    }

    /**
     * A hint for a handshake refused because the node is busy for at least {@code busyNanos} more: the next
     * return slot after that, no token taken. A client told to come back sooner would only be refused again,
     * and each refusal costs the busy node an upgrade.
     */
    public synchronized long refuse(long busyNanos) {
        return nextSlot(clock.getAsLong(), busyNanos);
    }

    private long nextSlot(long now) {
        return nextSlot(now, 0);
    }

    /**
     * The next free return slot, at least MIN_HINT_MS and {@code notBeforeNanos} ahead (a backlog older than
     * that has drained), jittered within the slot.
     */
    private long nextSlot(long now, long notBeforeNanos) {
        long earliest = now + Math.max(TimeUnit.MILLISECONDS.toNanos(MIN_HINT_MS), notBeforeNanos);
        lastSlot = Math.max(lastSlot, earliest) + slotNanos;
        long jitter = ThreadLocalRandom.current().nextLong(slotNanos);
        return Math.min(CloseCode.MAX_HINT_MS, TimeUnit.NANOSECONDS.toMillis(lastSlot - now + jitter));
    }
}
