package dev.lobbyhub.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void plainTextIsReturnedAsItIs() {
        String id = "alice-42 Ünïcödé 名前";
        assertSame(id, LogText.escape(id));
    }

    @Test
    void lineBreaksCannotForgeALogLine() {
        assertEquals("eve\\r\\n12:00:00.000 INFO  [x] connect user=admin",
                LogText.escape("eve\r\n12:00:00.000 INFO  [x] connect user=admin"));
    }

    @Test
    void nulEscapeAndOtherControlsAreWrittenAsCodes() {
        assertEquals("a\\u0000b\\u001b[31mred\\t\\u007f\\u0085\\u2028", LogText.escape("a\0b\u001b[31mred\t\u007f\u0085\u2028"));
    }

    @Test
    void backslashIsDoubledSoEscapesStayUnambiguous() {
        assertEquals("a\\\\nb", LogText.escape("a\\nb"));
    }

    @Test
    void nullStaysNull() {
        assertNull(LogText.escape(null));
    }
}
