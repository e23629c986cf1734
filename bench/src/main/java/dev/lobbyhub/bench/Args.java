package dev.lobbyhub.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --key value} command-line options with defaults. */
final class Args {

    private final Map<String, String> values = new HashMap<>();

    Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --key value pairs, got " + args[i]);
            }
            values.put(args[i].substring(2), args[++i]);
        }
    }

    String string(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    int integer(String key, int fallback) {
        return values.containsKey(key) ? Integer.parseInt(values.get(key)) : fallback;
    }

    long pid() {
        return Long.parseLong(string("pid", "0"));
    }

    /** The options every scenario shares: where the server is and how to sign tokens. */
    LoadClient.Target target() {
        return new LoadClient.Target(integer("port", 18080), integer("per-address", 10_000),
                string("secret", "bench-secret-bench-secret-bench-secret"));
    }
}
