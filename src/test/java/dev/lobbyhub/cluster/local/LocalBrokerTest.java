package dev.lobbyhub.cluster.local;

import dev.lobbyhub.cluster.BrokerContract;
import io.quarkus.test.junit.QuarkusTest;

/** The single-node {@link dev.lobbyhub.cluster.Broker}: this node's connections. */
@QuarkusTest
class LocalBrokerTest extends BrokerContract {
}
