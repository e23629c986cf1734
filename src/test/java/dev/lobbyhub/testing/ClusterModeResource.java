package dev.lobbyhub.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Runs every {@code @QuarkusTest} in cluster mode, on a Redis of its own, when the system property
 * {@code test.cluster-mode} is {@code true} (the build's {@code cluster-mode} test run): the
 * same socket tests then check each single-node rule through the Redis path. Tests whose profile
 * is {@link ClusterModeProfile} always run in cluster mode. Otherwise it does nothing.
 */
@QuarkusTestResource(value = ClusterModeResource.class, restrictToAnnotatedClass = false)
public final class ClusterModeResource implements QuarkusTestResourceLifecycleManager {

    public static final String PROPERTY = "test.cluster-mode";

    private RedisServer redis;
    private boolean forced;

    /** {@code always=true} (from {@link ClusterModeProfile}): cluster mode whatever the property says. */
    @Override
    public void init(Map<String, String> initArgs) {
        forced = Boolean.parseBoolean(initArgs.getOrDefault("always", "false"));
    }

    /** Whether this test run is the cluster-mode one. */
    public static boolean active() {
        return Boolean.getBoolean(PROPERTY);
    }

    @Override
    public Map<String, String> start() {
        if (!active() && !forced) {
            return Map.of();
        }
        try {
            redis = RedisServer.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("lobbyhub.cluster.enabled", "true", "quarkus.redis.hosts", redis.uri(),
                "lobbyhub.cluster.key-prefix", "test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @Override
    public void stop() {
        if (redis != null) {
            redis.close();
        }
    }
}
