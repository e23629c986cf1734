package dev.lobbyhub.cluster;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The name of this node in answers, logs and the cluster: the {@code HOSTNAME} environment
 * variable (the pod name on Kubernetes), else {@code node}, plus a suffix new at every start, so
 * a restarted pod is a new node (SPEC §9) and never mistaken for the one before it.
 */
@ApplicationScoped
public class NodeId {

    private final String value;

    NodeId() {
        String host = System.getenv("HOSTNAME");
        String base = host != null && !host.isBlank() ? host : "node";
        this.value = base + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    public String value() {
        return value;
    }
}
