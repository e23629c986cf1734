package dev.lobbyhub.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** A storm's refusals in a few log lines, each saying how many (SPEC §14), on a clock the test moves. */
class BusyRefusalLogTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    @Test
    void theFirstRefusalIsLoggedAtOnceThenOneLineCountsEachFiveSeconds() {
        BusyRefusalLog log = new BusyRefusalLog(clock::get);
        assertEquals("refused 1 new connection server_busy in the last 5 s (now: over the rate)", log.refused("over the rate"));
        for (int i = 0; i < 999; i++) {
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(4));
            assertNull(log.refused("over the rate"), "refusal " + i + " within 5 s of the last line");
        }
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(1_100));
        assertEquals("refused 1000 new connections server_busy in the last 5 s (now: event loops lag 300 ms)",
                log.refused("event loops lag 300 ms"), "the 999 since the last line and this one");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertEquals("refused 1 new connection server_busy in the last 60 s (now: over the rate)", log.refused("over the rate"));
    }
}
