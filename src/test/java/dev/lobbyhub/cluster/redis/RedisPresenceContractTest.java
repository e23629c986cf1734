package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.cluster.PresenceContract;
import dev.lobbyhub.testing.ClusterModeProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The cluster's {@link dev.lobbyhub.cluster.Presence}: read from Redis, the same contract as one node's. */
@QuarkusTest
@TestProfile(ClusterModeProfile.class)
class RedisPresenceContractTest extends PresenceContract {

    @Test
    void theRedisImplementationIsTheOneUnderTest() {
        assertInstanceOf(RedisPresence.class, presence);
    }
}
