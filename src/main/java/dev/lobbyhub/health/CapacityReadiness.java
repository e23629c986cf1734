package dev.lobbyhub.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.lobbyhub.cluster.BackplaneHealth;
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

    @Override
    public HealthCheckResponse call() {
        int connections = registry.connectionCount();
        int max = registry.settings().maxConnections();
        boolean draining = registry.isDraining();
        boolean backplaneUp = backplane.isUp();
        return HealthCheckResponse.named("connections")
                .status(!draining && connections < max && backplaneUp)
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
