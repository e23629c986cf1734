package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** One warning when the node passes 80 % and one at 100 %, re-armed only once the count falls back. */
class CapacityWarningsTest {

    private final CapacityWarnings warnings = new CapacityWarnings(20);

    @Test
    void warnsOnceAtEightyAndOnceAtFull() {
        assertEquals(0, warnings.onChange(15));
        assertEquals(80, warnings.onChange(16));
        assertEquals(0, warnings.onChange(17));
        assertEquals(0, warnings.onChange(19));
        assertEquals(100, warnings.onChange(20));
        assertEquals(0, warnings.onChange(20));
    }

    @Test
    void fullWarningReArmsOnlyBelowNinetyPercent() {
        warnings.onChange(20);
        assertEquals(0, warnings.onChange(19));
        assertEquals(0, warnings.onChange(20), "flapping at the limit warns once");
        assertEquals(0, warnings.onChange(17));
        assertEquals(100, warnings.onChange(20));
    }

    @Test
    void highWarningReArmsOnlyBelowSeventyFivePercent() {
        warnings.onChange(16);
        assertEquals(0, warnings.onChange(15));
        assertEquals(0, warnings.onChange(16));
        assertEquals(0, warnings.onChange(14));
        assertEquals(80, warnings.onChange(16));
    }

    @Test
    void jumpingStraightToFullWarnsAboutFull() {
        assertEquals(100, warnings.onChange(20));
    }
}
