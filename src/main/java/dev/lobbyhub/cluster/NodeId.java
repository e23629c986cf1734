package dev.lobbyhub.cluster;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The name of this node in answers and logs: the {@code HOSTNAME} environment variable (the pod
 * name on Kubernetes), else a random one fixed for the life of the process.
 */
@ApplicationScoped
public class NodeId {

    private final String value;

    NodeId() {
        String host = System.getenv("HOSTNAME");
        this.value = host != null && !host.isBlank() ? host : "node-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String value() {
        return value;
    }
}
