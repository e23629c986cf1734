package dev.lobbyhub.testing;

import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** A {@code @QuarkusTest} profile that always runs the node in cluster mode, on a Redis of its own. */
public final class ClusterModeProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(ClusterModeResource.class, Map.of("always", "true")));
    }
}
