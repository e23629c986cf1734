package dev.lobbyhub.logging;

/**
 * Stands in for a logged exception whose message quoted a secret: same class name, masked message,
 * same stack trace and cause chain (each masked in turn), so the log keeps everything useful.
 */
final class RedactedThrowable extends Throwable {

    private final String className;

    private RedactedThrowable(String className, String message, Throwable cause) {
        super(message, cause, false, true);
        this.className = className;
    }

    static Throwable of(Throwable original) {
        Throwable cause = original.getCause() == null || original.getCause() == original ? null : of(original.getCause());
        RedactedThrowable copy = new RedactedThrowable(original.getClass().getName(),
                RedactingLogFilter.redact(original.getMessage()), cause);
        copy.setStackTrace(original.getStackTrace());
        return copy;
    }

    @Override
    public String toString() {
        String message = getLocalizedMessage();
        return message == null ? className : className + ": " + message;
    }
}
