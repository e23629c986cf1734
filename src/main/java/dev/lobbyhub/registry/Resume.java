package dev.lobbyhub.registry;

/**
 * Where a client coming back left its lobby's log (SPEC §11: {@code since} and {@code epoch} in the
 * query). A malformed pair is kept as {@link #UNUSABLE}: the client still asked, and is told it did
 * not recover; it is never refused for it.
 */
public record Resume(long since, String epoch) {

    /** Asked for recovery with a {@code since} or {@code epoch} that cannot be right. */
    public static final Resume UNUSABLE = new Resume(-1, null);

    /** Longest epoch accepted; epochs this service makes are far shorter. */
    static final int MAX_EPOCH_LENGTH = 64;
    /** Offsets this long or longer are not offsets any log reaches. */
    private static final int MAX_SINCE_DIGITS = 18;

    /** From the query's {@code since} and {@code epoch}; null when {@code since} is not given (no recovery asked). */
    public static Resume fromQuery(String since, String epoch) {
        if (since == null) {
            return null;
        }
        if (since.isEmpty() || since.length() > MAX_SINCE_DIGITS || epoch == null || epoch.isEmpty()
                || epoch.length() > MAX_EPOCH_LENGTH) {
            return UNUSABLE;
        }
        for (int i = 0; i < since.length(); i++) {
            char c = since.charAt(i);
            if (c < '0' || c > '9') {
                return UNUSABLE;
            }
        }
        return new Resume(Long.parseLong(since), epoch);
    }

    /** Whether the log of this epoch can answer it. */
    boolean matches(String currentEpoch) {
        return epoch != null && epoch.equals(currentEpoch);
    }
}
