package dev.lobbyhub.cluster.local;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.delivery.PongWaiters;
import dev.lobbyhub.delivery.Relay;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.arc.Unremovable;
import io.smallrye.mutiny.Uni;

/** {@link Broker} of a single node: hands frames to this node's connections, answered at once (pings: at the pong). */
@ApplicationScoped
@Typed(LocalBroker.class)
@Unremovable
public class LocalBroker implements Broker {

    private final ConnectionRegistry registry;
    private final Relay relay;
    private final PongWaiters pongWaiters;

    public LocalBroker(ConnectionRegistry registry, Relay relay, PongWaiters pongWaiters) {
        this.registry = registry;
        this.relay = relay;
        this.pongWaiters = pongWaiters;
    }

    @Override
    public Uni<Integer> toLobby(String lobby, JsonNode data, String excludedUserId) {
        return Uni.createFrom().item(relay.toLobby(registry.members(lobby), null, data,
                member -> member.userId().equals(excludedUserId)));
    }

    @Override
    public Uni<Boolean> toUser(String userId, JsonNode data) {
        Session session = registry.findUser(userId);
        if (session == null || !session.isOpen()) {
            return Uni.createFrom().item(false);
        }
        relay.toMember(session, null, data);
        return Uni.createFrom().item(true);
    }

    @Override
    public Uni<Boolean> kick(String userId) {
        Session session = registry.findUser(userId);
        return Uni.createFrom().item(session != null && registry.disconnect(session, CloseCode.KICKED));
    }

    @Override
    public Uni<PingResult> ping(String userId, long timeoutMillis) {
        Session session = registry.findUser(userId);
        if (session == null || !session.isOpen()) {
            return Uni.createFrom().item(PingResult.NOT_CONNECTED);
        }
        long timestamp = System.currentTimeMillis();
        var latency = pongWaiters.await(session, timestamp).completeOnTimeout(-1L, timeoutMillis, TimeUnit.MILLISECONDS);
        session.sendHealthPing(ServerMessages.healthPing(timestamp), timestamp);
        return Uni.createFrom().completionStage(latency)
                .map(ms -> new PingResult(true, ms < 0 ? null : ms));
    }
}
