package dev.lobbyhub.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;

/**
 * Reaches a lobby's members or a user wherever they are connected: what the admin API sends (SPEC
 * §7, §9). The default implementation reaches this node's connections; in cluster mode an
 * implementation publishes once to the nodes that hold them.
 *
 * <p>
 * Delivery is at most once. A message to a lobby is serialized once for all its members, and
 * reaches each member after every frame that was handed to it before. Answers count what was
 * handed to connections, not what clients read. A {@code Uni} fails only when the answer cannot be
 * had (in cluster mode: the backplane did not answer in time); a user who is not connected is an
 * answer ({@code false}, {@code 0}, or {@link PingResult#NOT_CONNECTED}).
 */
public interface Broker {

    /** The outcome of an admin ping: not connected, connected but silent within the timeout, or a latency. */
    record PingResult(boolean connected, Long latencyMillis) {
        public static final PingResult NOT_CONNECTED = new PingResult(false, null);
    }

    /** {@code lobby_message} from {@code null} to every member but {@code excludedUserId} (null: none); answers how many. */
    Uni<Integer> toLobby(String lobby, JsonNode data, String excludedUserId);

    /** {@code direct_message} from {@code null}; false when the user is not connected. */
    Uni<Boolean> toUser(String userId, JsonNode data);

    /** Closes the user's connection with 4006 {@code kicked}; false when the user is not connected. */
    Uni<Boolean> kick(String userId);

    /** Sends {@code health_ping} and waits up to {@code timeoutMillis} for the matching pong. */
    Uni<PingResult> ping(String userId, long timeoutMillis);
}
