package dev.lobbyhub.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** A well-formed frame from a client. {@code id} is the optional correlation id (null when absent). */
public sealed interface ClientMessage {

    /** The value of {@code type} on the wire, also the {@code type} tag of the received-messages counter. */
    String type();

    /** The message's optional {@code id}, echoed as {@code ref} in an error about it; null when absent. */
    JsonNode id();

    record HealthPong(long timestamp, JsonNode id) implements ClientMessage {
        public String type() {
            return "health_pong";
        }
    }

    record LobbyMessage(RawJson data, JsonNode id) implements ClientMessage {
        public String type() {
            return "lobby_message";
        }
    }

    record DirectMessage(String to, RawJson data, JsonNode id) implements ClientMessage {
        public String type() {
            return "direct_message";
        }
    }

    record Ping(JsonNode id) implements ClientMessage {
        public String type() {
            return "ping";
        }
    }

    /**
     * The owner's change of its lobby's settings (SPEC §12); a field left out (null) stays as it is.
     * {@code properties} is the new object as compact JSON text.
     */
    record LobbyUpdate(Boolean locked, String visibility, Long maxMembers, String properties, Long expectedVersion,
            JsonNode id) implements ClientMessage {
        public String type() {
            return "lobby_update";
        }
    }

    /** A member's own properties (SPEC §12), as compact JSON text. */
    record MemberUpdate(String properties, JsonNode id) implements ClientMessage {
        public String type() {
            return "member_update";
        }
    }

    /** The owner ends a member's seat and keeps the user out of the lobby (SPEC §12). */
    record Kick(String userId, JsonNode id) implements ClientMessage {
        public String type() {
            return "kick";
        }
    }
}
