package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** SPEC §2 and §14: a close reason is exactly its word, followed only by a retry hint, and only where one is allowed. */
class CloseCodeTest {

    @Test
    void aHintFollowsTheWordAfterAColon() {
        assertEquals("server_busy:2750", CloseCode.SERVER_BUSY.reason(2750));
        assertEquals("server_shutdown:1200", CloseCode.SERVER_SHUTDOWN.reason(1200));
        assertEquals("backplane_unavailable:0", CloseCode.BACKPLANE_UNAVAILABLE.reason(0));
        assertEquals("server_full:500", CloseCode.SERVER_FULL.reason(500));
    }

    @Test
    void withoutAHintTheReasonIsTheWord() {
        for (CloseCode code : CloseCode.values()) {
            assertEquals(code.reason(), code.reason(-1));
        }
    }

    @Test
    void noHintIsOverThirtySeconds() {
        assertEquals("server_busy:30000", CloseCode.SERVER_BUSY.reason(120_000));
    }

    @Test
    void onlyTheCodesThatMayBeRetriedLaterCarryAHint() {
        assertThrows(IllegalArgumentException.class, () -> CloseCode.LOBBY_FULL.reason(100));
        assertThrows(IllegalArgumentException.class, () -> CloseCode.KICKED.reason(100));
        assertThrows(IllegalArgumentException.class, () -> CloseCode.RATE_LIMITED.reason(100));
    }
}
