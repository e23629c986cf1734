package dev.lobbyhub.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;

/**
 * Reads {@code quarkus.redis.hosts} (and a named client's {@code quarkus.redis.<name>.hosts}) before the config
 * layer converts it, so that an address that is not a URL stops startup with a line that does not hold its
 * password. Left alone, the conversion error quotes the whole value ({@code redis://:password@host}) on the
 * console, where no log filter sees it. Here the line names the key, says what is wrong and shows the address
 * with its user info replaced.
 */
@Priority(Priorities.APPLICATION)
public class RedisUrlCheck implements ConfigSourceInterceptor {

    private static final Pattern HOSTS = Pattern.compile("quarkus\\.redis\\.(?:[^.\"]+\\.|\"[^\"]+\"\\.)?hosts");
    static final String HIDDEN = "<user-info hidden>@";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (value != null && value.getValue() != null && HOSTS.matcher(name).matches()) {
            String problem = problem(name, value.getValue());
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
        return value;
    }

    /** The sentence that stops startup for this value of {@code key}, or null when every address is a URL. */
    static String problem(String key, String hosts) {
        for (String address : hosts.split(",")) {
            String trimmed = address.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                new URI(trimmed);
            } catch (URISyntaxException e) {
                // getReason() only: getMessage() and getInput() quote the address, password and all.
                return key + " (" + environmentName(key) + ") is not a URL: " + e.getReason() + " " + where(trimmed)
                        + ". Write it as redis://[user:password@]host:port with any"
                        + " % @ / : ? # in the user name or password percent-encoded (%25 %40 %2F %3A %3F %23),"
                        + " or set the password in quarkus.redis.password (QUARKUS_REDIS_PASSWORD)";
            }
        }
        return null;
    }

    /**
     * Where the address breaks, without its user info: "in the user name or password of …" when that part alone does
     * not parse, else "in …". (The parser's own index is no help: for any fault in the authority it points at its start.)
     */
    static String where(String address) {
        int start = address.indexOf("//") + 2;
        int end = address.lastIndexOf('@');
        if (start >= 2 && end >= start) {
            try {
                new URI("redis://" + address.substring(start, end) + "@host:1");
            } catch (URISyntaxException inUserInfo) {
                return "in the user name or password of " + redact(address);
            }
        }
        return "in " + redact(address);
    }

    /**
     * The address with its user info (user name and password) replaced: everything from "//" to the last "@", so that
     * a password holding an unencoded "/", "?", "#" or "@" is hidden whole.
     */
    static String redact(String address) {
        int start = address.indexOf("//");
        int end = address.lastIndexOf('@');
        if (start < 0 || end < start + 2) {
            return address;
        }
        return address.substring(0, start + 2) + HIDDEN + address.substring(end + 1);
    }

    private static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }
}
