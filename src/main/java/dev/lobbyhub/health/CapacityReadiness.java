package dev.lobbyhub.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.quarkus.runtime.StartupEvent;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.ConnectionRegistry;

/**
 * Ready for new connections: not draining, below {@code max-connections}, and in cluster mode reaching Redis.
 * The event-loop lag is in the data only.
 */
@Readiness
@ApplicationScoped
public class CapacityReadiness implements HealthCheck {

    private final ConnectionRegistry registry;
    private final BackplaneHealth backplane;
    private final EventLoopLag eventLoopLag;

    CapacityReadiness(ConnectionRegistry registry, BackplaneHealth backplane, EventLoopLag eventLoopLag) {
        this.registry = registry;
        this.backplane = backplane;
        this.eventLoopLag = eventLoopLag;
    }

    /** Publishes readiness as the gauge {@code lobbyhub_ready}, so that a scrape shows a node flapping (SPEC §8). */
    void start(@Observes StartupEvent started, LobbyhubMetrics metrics) {
        metrics.ready(() -> isReady() ? 1 : 0);
    }

    private boolean isReady() {
        return ready(registry.isDraining(), registry.connectionCount(), registry.settings().maxConnections(),
                backplane.isUp());
    }

    private static boolean ready(boolean draining, int connections, int max, boolean backplaneUp) {
        return !draining && connections < max && backplaneUp;
    }

    @Override
    public HealthCheckResponse call() {
        int connections = registry.connectionCount();
        int max = registry.settings().maxConnections();
        boolean draining = registry.isDraining();
        boolean backplaneUp = backplane.isUp();
        return HealthCheckResponse.named("connections")
                .status(ready(draining, connections, max, backplaneUp))
                .withData("connections", connections)
                .withData("max_connections", max)
                .withData("capacity_percent", Capacity.percent(connections, max))
                .withData("draining", draining)
                .withData("backplane_up", backplaneUp)
                // Shown, but not a reason to be unready: in a storm every pod lags at once (SPEC §14).
                .withData("event_loop_lag_ms", eventLoopLag.lag().toMillis())
                .build();
    }
}
