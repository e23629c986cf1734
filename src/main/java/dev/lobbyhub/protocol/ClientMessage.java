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
}
