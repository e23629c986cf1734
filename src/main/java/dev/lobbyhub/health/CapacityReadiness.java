package dev.lobbyhub.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.lobbyhub.registry.ConnectionRegistry;

/** Ready for new connections: not draining and below {@code max-connections}. */
@Readiness
@ApplicationScoped
public class CapacityReadiness implements HealthCheck {

    private final ConnectionRegistry registry;

    CapacityReadiness(ConnectionRegistry registry) {
        this.registry = registry;
    }

    @Override
    public HealthCheckResponse call() {
        int connections = registry.connectionCount();
        int max = registry.settings().maxConnections();
        boolean draining = registry.isDraining();
        return HealthCheckResponse.named("connections")
                .status(!draining && connections < max)
                .withData("connections", connections)
                .withData("max_connections", max)
                .withData("capacity_percent", Capacity.percent(connections, max))
                .withData("draining", draining)
                .build();
    }
}
