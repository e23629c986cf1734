package dev.lobbyhub.cluster;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.cluster.Broker.PingResult;
import dev.lobbyhub.delivery.PongWaiters;
import dev.lobbyhub.delivery.Relay;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.smallrye.mutiny.Uni;

/**
 * What a {@link Broker} does to this node's own connections, whichever node asked: hand frames to
 * a lobby's members or a user here, kick or ping a user here. A user not connected here is an
 * answer ({@code false}, {@code 0}, {@link PingResult#NOT_CONNECTED}), as in {@link Broker}.
 */
@ApplicationScoped
public class ThisNode {

    private final ConnectionRegistry registry;
    private final Relay relay;
    private final PongWaiters pongWaiters;

    public ThisNode(ConnectionRegistry registry, Relay relay, PongWaiters pongWaiters) {
        this.registry = registry;
        this.relay = relay;
        this.pongWaiters = pongWaiters;
    }

    /** Whether the user has a connection on this node (open or closing). */
    public boolean holds(String userId) {
        return registry.findUser(userId) != null;
    }

    /** {@code lobby_message} from {@code null} to the lobby's members here but {@code excludedUserId}; answers how many. */
    public int toLobby(String lobby, JsonNode data, String excludedUserId) {
        return relay.toLobby(lobby, Relay.frame("lobby_message", null, data), excludedUserId).delivered();
    }

    /** Hands a finished frame to the lobby's members here but {@code excludedUserId} (null: none); answers how many. */
    public int frameToLobby(String lobby, String frame, String excludedUserId) {
        return relay.toLobby(lobby, frame, excludedUserId).delivered();
    }

    /**
     * An entry of the cluster's lobby log (its frame without offset) for the lobby's members here
     * it is meant for ({@code only}: a direct message's user; {@code except}: the sender); answers how many.
     */
    public int frameAt(String lobby, long offset, String frame, String only, String except) {
        return relay.toLobbyAt(lobby, offset, frame, only, except).delivered();
    }

    /** Hands a finished frame to the user if connected here, in that lobby; answers whether it was. */
    public boolean frameToMember(String lobby, String userId, String frame) {
        Session member = registry.findUser(userId);
        if (member == null || !member.isOpen() || !member.lobby().equals(lobby)) {
            return false;
        }
        relay.toMember(member, frame);
        return true;
    }

    /** {@code direct_message} from {@code null}; false when the user is not connected here. */
    public Uni<Boolean> toUser(String userId, JsonNode data) {
        Session session = registry.findRecipient(userId);
        if (session != null && session.isAway()) {
            // Not delivered now: logged for the member, who reads it when it comes back (SPEC §10).
            relay.toMember(session, Relay.frame("direct_message", null, data));
            return Uni.createFrom().item(false);
        }
        if (session == null || !session.isOpen()) {
            return Uni.createFrom().item(false);
        }
        relay.direct(session, Relay.frame("direct_message", null, data));
        return Uni.createFrom().item(true);
    }

    /**
     * Closes the user's connection here with 4006 {@code kicked}, or frees its held seat, or ends its reservation
     * (SPEC §13); false when it has none of them.
     */
    public Uni<Boolean> kick(String userId) {
        Session session = registry.findUser(userId);
        if (session == null) {
            return Uni.createFrom().item(registry.freeHold(userId, LeaveReason.KICKED)
                    || registry.cancelReservation(userId));
        }
        return Uni.createFrom().item(registry.disconnect(session, CloseCode.KICKED));
    }

    /** Sends {@code health_ping} to the user here and answers at the matching pong, or after {@code timeoutMillis}. */
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
