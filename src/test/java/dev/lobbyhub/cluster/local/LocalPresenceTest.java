package dev.lobbyhub.cluster.local;

import dev.lobbyhub.cluster.PresenceContract;
import io.quarkus.test.junit.QuarkusTest;

/** The single-node {@link dev.lobbyhub.cluster.Presence}: this node's registry. */
@QuarkusTest
class LocalPresenceTest extends PresenceContract {
}
