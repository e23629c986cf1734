package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;

/** An operator's own event-loop count wins over the one-per-CPU default. */
@QuarkusTest
@TestProfile(EventLoopsConfiguredTest.ThreeLoops.class)
class EventLoopsConfiguredTest {

    public static class ThreeLoops implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.vertx.event-loops-pool-size", "3");
        }
    }

    @Inject
    Vertx vertx;

    @Test
    void theConfiguredCountIsUsed() {
        assertEquals(3, EventLoopsPerCpuTest.loops(vertx));
    }
}
