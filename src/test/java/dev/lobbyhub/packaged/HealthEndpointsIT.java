package dev.lobbyhub.packaged;

import dev.lobbyhub.health.HealthEndpointsTest;
import dev.lobbyhub.testing.PackagedTestSettings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

@QuarkusIntegrationTest
@WithTestResource(PackagedTestSettings.class)
class HealthEndpointsIT extends HealthEndpointsTest {
}
