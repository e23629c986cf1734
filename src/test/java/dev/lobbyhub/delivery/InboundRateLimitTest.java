package dev.lobbyhub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.delivery.InboundRateLimit.Verdict;

class InboundRateLimitTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void fullBucketAcceptsABurstThenDrops() {
        InboundRateLimit limit = new InboundRateLimit(1, 3);
        long now = System.nanoTime();
        assertEquals(Verdict.ACCEPT, limit.onMessage(now));
        assertEquals(Verdict.ACCEPT, limit.onMessage(now));
        assertEquals(Verdict.ACCEPT, limit.onMessage(now));
        assertEquals(Verdict.DROP_AND_TELL, limit.onMessage(now));
        assertEquals(Verdict.DROP, limit.onMessage(now));
    }

    @Test
    void burstDropsInARowClose() {
        InboundRateLimit limit = new InboundRateLimit(1, 3);
        long now = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            limit.onMessage(now);
        }
        limit.onMessage(now);
        limit.onMessage(now);
        assertEquals(Verdict.CLOSE, limit.onMessage(now));
    }

    @Test
    void refillAcceptsAgainAndResetsTheDropCount() {
        InboundRateLimit limit = new InboundRateLimit(2, 3);
        long now = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            limit.onMessage(now);
        }
        assertEquals(Verdict.DROP_AND_TELL, limit.onMessage(now));
        assertEquals(Verdict.DROP, limit.onMessage(now));
        assertEquals(Verdict.ACCEPT, limit.onMessage(now + SECOND / 2));
        // The run of drops was broken: two more drops do not close.
        assertEquals(Verdict.DROP, limit.onMessage(now + SECOND / 2));
        assertEquals(Verdict.DROP, limit.onMessage(now + SECOND / 2));
    }

    @Test
    void clientIsToldAgainAfterASecond() {
        InboundRateLimit limit = new InboundRateLimit(1, 100);
        long now = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            limit.onMessage(now);
        }
        assertEquals(Verdict.DROP_AND_TELL, limit.onMessage(now));
        assertEquals(Verdict.DROP, limit.onMessage(now + SECOND / 2));
        // A second later one token came back: accepted; drain it again and the next drop is told.
        assertEquals(Verdict.ACCEPT, limit.onMessage(now + SECOND + SECOND / 2));
        assertEquals(Verdict.DROP_AND_TELL, limit.onMessage(now + SECOND + SECOND / 2));
    }

    @Test
    void bucketNeverHoldsMoreThanTheBurst() {
        InboundRateLimit limit = new InboundRateLimit(1000, 5);
        long later = System.nanoTime() + 60 * SECOND;
        for (int i = 0; i < 5; i++) {
            assertEquals(Verdict.ACCEPT, limit.onMessage(later));
        }
        assertEquals(Verdict.DROP_AND_TELL, limit.onMessage(later));
    }
}
