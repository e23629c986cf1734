package dev.lobbyhub.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.testing.TestConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Liveness follows the sweep's heartbeat: DOWN once it has not completed for 3 × ping-interval. */
class SweepLivenessTest {

    private final LobbyhubConfig config = TestConfig.of(Map.of("lobbyhub.auth.jwt.secret",
            "liveness-test-secret-0123456789abcdef", "lobbyhub.health.ping-interval", "2s"));
    private final LobbyhubMetrics metrics = new LobbyhubMetrics(new SimpleMeterRegistry());
    private final ConnectionRegistry registry = new ConnectionRegistry(
            new ConnectionRegistry.Settings(10, 10, LobbyhubConfig.OnDuplicate.REPLACE, 2000, 6000, 65536), metrics);
    private final HealthSweep sweep = new HealthSweep(registry, metrics, null, config);
    private final SweepLiveness liveness = new SweepLiveness(sweep, config);

    @Test
    void upRightAfterASweep() {
        sweep.sweep();
        assertEquals(HealthCheckResponse.Status.UP, liveness.check(System.nanoTime()).getStatus());
    }

    @Test
    void upUpToThreePingIntervals() {
        sweep.sweep();
        long last = sweep.lastCompletedNanos();
        assertEquals(HealthCheckResponse.Status.UP, liveness.check(last + TimeUnit.SECONDS.toNanos(6)).getStatus());
    }

    @Test
    void downAfterThreePingIntervalsWithoutASweep() {
        sweep.sweep();
        long last = sweep.lastCompletedNanos();
        HealthCheckResponse response = liveness.check(last + TimeUnit.SECONDS.toNanos(6) + 1_000_000);
        assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
        assertEquals(6001L, response.getData().orElseThrow().get("since_last_sweep_ms"));
    }
}
