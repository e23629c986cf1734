package dev.lobbyhub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The test profile's settings for the artifact a {@code @QuarkusIntegrationTest} launches. That artifact
 * (the packaged jar, or the native binary) runs in the prod profile, where the {@code %test.} lines of
 * application.properties do not apply: no JWT secret, no admin key, 15 s health pings. Quarkus passes the
 * map returned here to the launched process as {@code -Dkey=value}, so the twins of the {@code @QuarkusTest}
 * classes meet the same secret, key, intervals and shutdown delay as their base tests, read from the one
 * place they are written.
 */
public final class PackagedTestSettings implements QuarkusTestResourceLifecycleManager {

    private static final String PREFIX = "%test.";

    /** Every {@code %test.key=value} of application.properties, as {@code key=value}. */
    public static Map<String, String> testProfile() {
        Properties properties = new Properties();
        try (InputStream in = PackagedTestSettings.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in == null) {
                throw new IllegalStateException("application.properties is not on the test class path");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> settings = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(PREFIX)) {
                settings.put(name.substring(PREFIX.length()), properties.getProperty(name));
            }
        }
        if (!settings.containsKey("lobbyhub.auth.jwt.secret")) {
            throw new IllegalStateException("application.properties has no %test.lobbyhub.auth.jwt.secret: " + settings);
        }
        return settings;
    }

    @Override
    public Map<String, String> start() {
        return testProfile();
    }

    @Override
    public void stop() {
    }
}
