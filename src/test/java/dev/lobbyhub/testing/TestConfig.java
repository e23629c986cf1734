package dev.lobbyhub.testing;

import java.time.Duration;
import java.util.Map;

import dev.lobbyhub.config.LobbyhubConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/** A {@link LobbyhubConfig} built from properties, without starting Quarkus. */
public final class TestConfig {

    private TestConfig() {
    }

    public static LobbyhubConfig of(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(LobbyhubConfig.class)
                // Quarkus registers this at startup; it reads "15s" as well as ISO-8601 "PT15S".
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build()
                .getConfigMapping(LobbyhubConfig.class);
    }
}
