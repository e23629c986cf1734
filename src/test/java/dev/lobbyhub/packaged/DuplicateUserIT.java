package dev.lobbyhub.packaged;

import dev.lobbyhub.endpoint.DuplicateUserTest;
import dev.lobbyhub.testing.PackagedTestSettings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

@QuarkusIntegrationTest
@WithTestResource(PackagedTestSettings.class)
class DuplicateUserIT extends DuplicateUserTest {
}
