package dev.lobbyhub.delivery;

/**
 * Token bucket of one connection: {@code messages-per-second} refill, {@code burst} capacity.
 * Used only from the connection's own event loop (inbound frames are handled one at a time),
 * so it needs no locking.
 */
public final class InboundRateLimit {

    /** What to do with one inbound message. */
    public enum Verdict {
        /** Within the limit: handle it. */
        ACCEPT,
        /** Over the limit: drop it and tell the client (at most once a second). */
        DROP_AND_TELL,
        /** Over the limit: drop it silently, the client was told less than a second ago. */
        DROP,
        /** {@code burst} drops in a row: close the connection 4008. */
        CLOSE
    }

    private static final long TELL_EVERY_NANOS = 1_000_000_000L;

    private final double refillPerNano;
    private final int burst;
    private double tokens;
    private long refilledAtNanos;
    private int droppedInARow;
    private long toldAtNanos = Long.MIN_VALUE;

    public InboundRateLimit(int messagesPerSecond, int burst) {
        this.refillPerNano = messagesPerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.refilledAtNanos = System.nanoTime();
    }

    public Verdict onMessage() {
        return onMessage(System.nanoTime());
    }

    Verdict onMessage(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - refilledAtNanos) * refillPerNano);
        refilledAtNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            droppedInARow = 0;
            return Verdict.ACCEPT;
        }
        droppedInARow++;
        if (droppedInARow >= burst) {
            return Verdict.CLOSE;
        }
        if (toldAtNanos == Long.MIN_VALUE || nowNanos - toldAtNanos >= TELL_EVERY_NANOS) {
            toldAtNanos = nowNanos;
            return Verdict.DROP_AND_TELL;
        }
        return Verdict.DROP;
    }
}
