package dev.lobbyhub.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import dev.lobbyhub.config.LobbyhubConfig;

/** Alive while the health sweep keeps completing: DOWN after 3 × {@code ping-interval} without one. */
@Liveness
@ApplicationScoped
public class SweepLiveness implements HealthCheck {

    private final HealthSweep sweep;
    private final long limitNanos;

    SweepLiveness(HealthSweep sweep, LobbyhubConfig config) {
        this.sweep = sweep;
        this.limitNanos = 3 * config.health().pingInterval().toNanos();
    }

    @Override
    public HealthCheckResponse call() {
        return check(System.nanoTime());
    }

    HealthCheckResponse check(long nowNanos) {
        long sinceNanos = nowNanos - sweep.lastCompletedNanos();
        return HealthCheckResponse.named("health-sweep")
                .status(sinceNanos <= limitNanos)
                .withData("since_last_sweep_ms", sinceNanos / 1_000_000)
                .build();
    }
}
