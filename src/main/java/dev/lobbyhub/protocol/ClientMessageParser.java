package dev.lobbyhub.protocol;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads one client text frame into a {@link ClientMessage}, or says exactly what is wrong with it. */
public final class ClientMessageParser {

    private ClientMessageParser() {
    }

    public static ClientMessage parse(String text) throws InvalidMessageException {
        JsonNode root = readObject(text);
        JsonNode id = root.get("id");
        if (id != null && id.isNull()) {
            id = null;
        }
        JsonNode type = root.get("type");
        if (type == null || !type.isTextual()) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, "type must be a string", id);
        }
        switch (type.textValue()) {
            case "health_pong":
                JsonNode timestamp = root.get("timestamp");
                if (timestamp == null || !timestamp.canConvertToExactIntegral() || !timestamp.canConvertToLong()) {
                    throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                            "health_pong needs timestamp, an integer echoed from health_ping", id);
                }
                return new ClientMessage.HealthPong(timestamp.longValue(), id);
            case "lobby_message":
                return new ClientMessage.LobbyMessage(data(root, "lobby_message", id), id);
            case "direct_message":
                JsonNode to = root.get("to");
                if (to == null || !to.isTextual() || to.textValue().isEmpty()) {
                    throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                            "direct_message needs to, a user id", id);
                }
                return new ClientMessage.DirectMessage(to.textValue(), data(root, "direct_message", id), id);
            case "ping":
                return new ClientMessage.Ping(id);
            default:
                throw new InvalidMessageException(ErrorCode.UNKNOWN_TYPE,
                        "unknown type; clients send health_pong, lobby_message, direct_message or ping", id);
        }
    }

    private static JsonNode readObject(String text) throws InvalidMessageException {
        JsonNode root;
        try {
            root = text.isEmpty() ? null : StrictJson.read(text);
        } catch (IOException e) {
            throw new InvalidMessageException(ErrorCode.INVALID_JSON, "not valid JSON", null);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidMessageException(ErrorCode.INVALID_JSON, "a frame must be one JSON object", null);
        }
        return root;
    }

    private static JsonNode data(JsonNode root, String type, JsonNode id) throws InvalidMessageException {
        JsonNode data = root.get("data");
        if (data == null) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, type + " needs data", id);
        }
        return data;
    }
}
