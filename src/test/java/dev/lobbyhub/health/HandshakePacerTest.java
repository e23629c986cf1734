package dev.lobbyhub.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.protocol.CloseCode;

/** The handshake bucket and its retry hints (SPEC §14), on a clock the test moves. */
class HandshakePacerTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private void advanceMillis(long ms) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    @Test
    void aBurstPassesThenTheRateDecides() {
        HandshakePacer pacer = new HandshakePacer(10, 5, clock::get);
        for (int i = 0; i < 5; i++) {
            assertEquals(-1, pacer.admit(), "handshake " + i + " of the burst");
        }
        assertTrue(pacer.admit() >= 0, "the sixth at once is refused");
        advanceMillis(100);
        assertEquals(-1, pacer.admit(), "one more after a tenth of a second at 10 per second");
        assertTrue(pacer.admit() >= 0);
        advanceMillis(10_000);
        for (int i = 0; i < 5; i++) {
            assertEquals(-1, pacer.admit(), "the bucket refilled up to the burst, no more");
        }
        assertTrue(pacer.admit() >= 0);
    }

    @Test
    void refusedClientsAreSpreadAtTheAdmissionRate() {
        HandshakePacer pacer = new HandshakePacer(100, 1, clock::get);
        pacer.admit();
        List<Long> hints = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            hints.add(pacer.admit());
        }
        // 200 refused at the same instant come back one slot (10 ms at 100/s) after another, from 100 ms on.
        for (int i = 0; i < hints.size(); i++) {
            long slot = HandshakePacer.MIN_HINT_MS + 10L * (i + 1);
            long hint = hints.get(i);
            assertTrue(hint >= slot && hint < slot + 10, "client " + i + ": hint " + hint + " outside [" + slot + ", "
                    + (slot + 10) + ")");
        }
        // Later refusals queue behind them; once the backlog has drained, hints are short again.
        advanceMillis(1_000);
        assertEquals(-1, pacer.admit(), "the bucket refilled meanwhile");
        assertTrue(pacer.admit() >= 1_000, "the backlog of 2.1 s had 1.1 s left");
        advanceMillis(5_000);
        pacer.admit();
        long fresh = pacer.admit();
        assertTrue(fresh >= HandshakePacer.MIN_HINT_MS && fresh < HandshakePacer.MIN_HINT_MS + 20, "hint " + fresh);
    }

    @Test
    void aClientRefusedByABusyNodeComesBackAfterTheBusySpellCanEndEachInItsSlot() {
        HandshakePacer pacer = new HandshakePacer(100, 1, clock::get);
        long busyNanos = TimeUnit.MILLISECONDS.toNanos(2_000);
        List<Long> hints = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            hints.add(pacer.refuse(busyNanos));
        }
        for (int i = 0; i < hints.size(); i++) {
            long slot = 2_000 + 10L * (i + 1);
            long hint = hints.get(i);
            assertTrue(hint >= slot && hint < slot + 10, "client " + i + ": hint " + hint + " outside [" + slot + ", "
                    + (slot + 10) + ")");
        }
        assertEquals(-1, pacer.admit(), "no token was taken by the refusals");
        assertTrue(pacer.admit() >= 2_500, "a handshake over the rate queues behind the busy node's slots");
    }

    @Test
    void noHintIsOverThirtySeconds() {
        HandshakePacer pacer = new HandshakePacer(1, 1, clock::get);
        pacer.admit();
        long last = 0;
        for (int i = 0; i < 100; i++) {
            last = pacer.admit();
            assertTrue(last <= CloseCode.MAX_HINT_MS, "hint " + last);
        }
        assertEquals(CloseCode.MAX_HINT_MS, last);
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new HandshakePacer(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new HandshakePacer(1, 0));
    }
}
