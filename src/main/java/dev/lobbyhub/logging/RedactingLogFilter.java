package dev.lobbyhub.logging;

import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

import org.jboss.logmanager.ExtLogRecord;

import io.quarkus.logging.LoggingFilter;

/**
 * The last line of defence for secrets: every record that reaches a log handler (console, file,
 * syslog; see application.properties) has tokens and keys masked before it is written, whichever
 * component wrote it. lobbyhub's own lines never carry them; this catches framework lines that
 * quote a request, such as an error handler's "HTTP Request to /ws/x?token=… failed" or an access
 * log line. Masked: the value of a {@code token} query parameter, of an {@code Authorization}
 * header, of a {@code Bearer} credential, and anything shaped like a JWT.
 */
@LoggingFilter(name = RedactingLogFilter.NAME)
public final class RedactingLogFilter implements Filter {

    public static final String NAME = "lobbyhub-redact";
    static final String MASK = "<redacted>";

    private static final Pattern SECRETS = Pattern.compile(
            "(?i)(?<=[?&]token=)[^&\\s\"']+"
                    + "|(?<=authorization[:=]\\s{0,4})(?:bearer\\s+|basic\\s+)?[^\\s\"',]+"
                    + "|(?<=bearer\\s)\\s*[^\\s\"',]+"
                    + "|eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");

    @Override
    public boolean isLoggable(LogRecord record) {
        ExtLogRecord ext = record instanceof ExtLogRecord e ? e : ExtLogRecord.wrap(record);
        String message = ext.getFormattedMessage();
        if (message != null) {
            String masked = redact(message);
            if (!masked.equals(message)) {
                ext.setMessage(masked, ExtLogRecord.FormatStyle.NO_FORMAT);
                ext.setParameters(null);
            }
        }
        Throwable thrown = record.getThrown();
        if (thrown != null && containsSecret(thrown)) {
            record.setThrown(RedactedThrowable.of(thrown));
        }
        return true;
    }

    /** The text with every secret replaced by {@value #MASK}. */
    public static String redact(String text) {
        return text == null ? null : SECRETS.matcher(text).replaceAll(MASK);
    }

    private static boolean containsSecret(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null && SECRETS.matcher(message).find()) {
                return true;
            }
        }
        return false;
    }
}
