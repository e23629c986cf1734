package dev.lobbyhub.cluster.local;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.cluster.ThisNode;
import io.quarkus.arc.Unremovable;
import io.smallrye.mutiny.Uni;

/** {@link Broker} of a single node: hands frames to this node's connections, answered at once (pings: at the pong). */
@ApplicationScoped
@Typed(LocalBroker.class)
@Unremovable
public class LocalBroker implements Broker {

    private final ThisNode node;

    public LocalBroker(ThisNode node) {
        this.node = node;
    }

    @Override
    public Uni<Integer> toLobby(String lobby, JsonNode data, String excludedUserId) {
        return Uni.createFrom().item(node.toLobby(lobby, data, excludedUserId));
    }

    @Override
    public Uni<Boolean> toUser(String userId, JsonNode data) {
        return node.toUser(userId, data);
    }

    @Override
    public Uni<Boolean> kick(String userId) {
        return node.kick(userId);
    }

    @Override
    public Uni<PingResult> ping(String userId, long timeoutMillis) {
        return node.ping(userId, timeoutMillis);
    }
}
