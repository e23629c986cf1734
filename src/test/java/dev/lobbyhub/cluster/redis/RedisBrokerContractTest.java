package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.cluster.BrokerContract;
import dev.lobbyhub.testing.ClusterModeProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The cluster's {@link dev.lobbyhub.cluster.Broker}: over Redis pub/sub, the same contract as one node's. */
@QuarkusTest
@TestProfile(ClusterModeProfile.class)
class RedisBrokerContractTest extends BrokerContract {

    @Test
    void theRedisImplementationIsTheOneUnderTest() {
        assertInstanceOf(RedisBroker.class, broker);
    }
}
