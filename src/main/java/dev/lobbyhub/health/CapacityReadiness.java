package dev.lobbyhub.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.registry.ConnectionRegistry;

/** Ready for new connections: not draining, below {@code max-connections}, and in cluster mode reaching Redis. */
@Readiness
@ApplicationScoped
public class CapacityReadiness implements HealthCheck {

    private final ConnectionRegistry registry;
    private final BackplaneHealth backplane;

    CapacityReadiness(ConnectionRegistry registry, BackplaneHealth backplane) {
        this.registry = registry;
        this.backplane = backplane;
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
                .build();
    }
}
