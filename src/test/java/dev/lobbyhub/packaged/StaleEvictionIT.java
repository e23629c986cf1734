package dev.lobbyhub.packaged;

import dev.lobbyhub.health.StaleEvictionTest;
import dev.lobbyhub.testing.PackagedTestSettings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

@QuarkusIntegrationTest
@WithTestResource(PackagedTestSettings.class)
class StaleEvictionIT extends StaleEvictionTest {
}
