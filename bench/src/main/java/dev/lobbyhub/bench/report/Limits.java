package dev.lobbyhub.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * lobbyhub's current targets and the report's thresholds: {@code bench/targets.properties}, the one
 * place they are written down. The build puts that file into the jar; {@code Report --targets FILE}
 * reads another copy instead (bench/run.sh passes the working tree's, so an edit counts without a
 * rebuild).
 */
final class Limits {

    static final String RESOURCE = "/targets.properties";

    private static Properties current;

    private Limits() {
    }

    /** Reads the targets from {@code file} instead of the jar's copy. */
    static void use(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        current = p;
    }

    private static synchronized Properties properties() {
        if (current == null) {
            Properties p = new Properties();
            try (InputStream in = Limits.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is not in the jar: rebuild the bench");
                }
                p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            current = p;
        }
        return current;
    }

    /** A number; a key that is missing or not a number stops the report (a target must not vanish silently). */
    static double number(String key) {
        String value = text(key);
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("targets: " + key + " = \"" + value + "\" is not a number");
        }
    }

    static String text(String key) {
        String value = properties().getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("targets: no " + key);
        }
        return value.strip();
    }
}
