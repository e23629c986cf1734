package dev.lobbyhub.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Level;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

class RedactingLogFilterTest {

    private static final String JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA";

    @Test
    void tokenInAQueryStringIsMasked() {
        assertEquals("HTTP Request to /ws/l1?token=<redacted>&x=1 failed",
                RedactingLogFilter.redact("HTTP Request to /ws/l1?token=opaque-not-a-jwt&x=1 failed"));
    }

    @Test
    void authorizationHeaderAndBearerCredentialsAreMasked() {
        assertFalse(RedactingLogFilter.redact("Authorization: Bearer admin-key-123").contains("admin-key-123"));
        assertFalse(RedactingLogFilter.redact("authorization=basic dXNlcjpwYXNz").contains("dXNlcjpwYXNz"));
        assertFalse(RedactingLogFilter.redact("sent bearer k3y to the api").contains("k3y"));
    }

    @Test
    void anythingShapedLikeAJwtIsMasked() {
        String masked = RedactingLogFilter.redact("body {\"t\":\"" + JWT + "\"}");
        assertFalse(masked.contains("c2lnbmF0dXJl"), masked);
    }

    @Test
    void ordinaryLinesAreUntouched() {
        String line = "connect user=alice lobby=tokens conn=1f2e reason=normal";
        assertEquals(line, RedactingLogFilter.redact(line));
    }

    @Test
    void theFilterRewritesTheFormattedMessageAndTheException() {
        ExtLogRecord record = new ExtLogRecord(Level.SEVERE, "HTTP Request to %s failed", ExtLogRecord.FormatStyle.PRINTF,
                "test");
        record.setParameters(new Object[] { "/ws/lobby?token=" + JWT });
        record.setThrown(new IllegalArgumentException("bad uri /ws/lobby?token=" + JWT,
                new IllegalStateException("Authorization: Bearer " + JWT)));

        assertTrue(new RedactingLogFilter().isLoggable(record));

        assertEquals("HTTP Request to /ws/lobby?token=<redacted> failed", record.getFormattedMessage());
        StringWriter trace = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(trace));
        assertFalse(trace.toString().contains("c2lnbmF0dXJl"), trace.toString());
        assertTrue(trace.toString().startsWith("java.lang.IllegalArgumentException: bad uri"), trace.toString());
        assertTrue(trace.toString().contains("RedactingLogFilterTest"), "the stack trace is kept");
    }
}
