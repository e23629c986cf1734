package dev.lobbyhub.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code lobbyhub.allowed-origins}: the browser origins that may open a connection. An entry is an
 * exact origin ({@code https://game.example.com}, {@code http://localhost:5173}) or a wildcard for
 * every subdomain of a domain ({@code https://*.example.com}, which does not match
 * {@code https://example.com} itself). Scheme and host compare case-insensitively; the port must
 * match as written. A handshake without {@code Origin} (not a browser) is always allowed, and so is
 * every origin while the list is unset.
 */
public final class AllowedOrigins {

    /** What an entry must look like; checked at startup. */
    static final Pattern ENTRY = Pattern.compile("(?i)https?://(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?");
    private static final AllowedOrigins ANY = new AllowedOrigins(null, null);

    private final List<String> exact;
    /** Wildcard entries as (scheme + "://", "." + domain + optional port). */
    private final List<String[]> suffixes;

    private AllowedOrigins(List<String> exact, List<String[]> suffixes) {
        this.exact = exact;
        this.suffixes = suffixes;
    }

    public static AllowedOrigins of(Optional<List<String>> entries) {
        if (entries.isEmpty() || entries.get().isEmpty()) {
            return ANY;
        }
        List<String> exact = new ArrayList<>();
        List<String[]> suffixes = new ArrayList<>();
        for (String entry : entries.get()) {
            String origin = entry.trim().toLowerCase(Locale.ROOT);
            int wildcard = origin.indexOf("://*.");
            if (wildcard < 0) {
                exact.add(origin);
            } else {
                suffixes.add(new String[] { origin.substring(0, wildcard + 3), origin.substring(wildcard + 4) });
            }
        }
        return new AllowedOrigins(List.copyOf(exact), List.copyOf(suffixes));
    }

    /** Whether a handshake with this {@code Origin} header (null when absent) may go on. */
    /** Whether the list is unset: every origin may come. */
    public boolean allowsAny() {
        return exact == null;
    }

    public boolean allows(String origin) {
        if (exact == null || origin == null) {
            return true;
        }
        String candidate = origin.trim().toLowerCase(Locale.ROOT);
        if (exact.contains(candidate)) {
            return true;
        }
        for (String[] suffix : suffixes) {
            String scheme = suffix[0];
            String domain = suffix[1];
            if (candidate.startsWith(scheme) && candidate.endsWith(domain)
                    && candidate.length() > scheme.length() + domain.length()
                    && isHostLabels(candidate.substring(scheme.length(), candidate.length() - domain.length()))) {
                return true;
            }
        }
        return false;
    }

    /** One or more DNS labels: what may stand for the {@code *} of a wildcard entry. */
    private static boolean isHostLabels(String text) {
        return text.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
    }

    /** Entries that are not an origin or a wildcard origin, for the startup check. */
    static List<String> invalidEntries(Optional<List<String>> entries) {
        List<String> invalid = new ArrayList<>();
        entries.ifPresent(list -> list.stream().filter(entry -> !ENTRY.matcher(entry.trim()).matches()).forEach(invalid::add));
        return invalid;
    }
}
