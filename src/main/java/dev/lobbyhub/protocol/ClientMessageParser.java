package dev.lobbyhub.protocol;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads one client text frame into a {@link ClientMessage}, or says exactly what is wrong with it.
 *
 * <p>
 * The frame is read as a stream of tokens, strictly ({@link StrictJson}): all of it, so that any
 * JSON error anywhere is {@code invalid_json} before a field is judged. {@code data} is not built into
 * a tree: its place in the text is kept, and it is relayed as written.
 */
public final class ClientMessageParser {

    private ClientMessageParser() {
    }

    public static ClientMessage parse(String text) throws InvalidMessageException {
        Fields fields = read(text);
        JsonNode id = fields.id;
        if (fields.type == null || !fields.type.isTextual()) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, "type must be a string", id);
        }
        switch (fields.type.textValue()) {
            case "health_pong":
                JsonNode timestamp = fields.timestamp;
                if (timestamp == null || !timestamp.canConvertToExactIntegral() || !timestamp.canConvertToLong()) {
                    throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                            "health_pong needs timestamp, an integer echoed from health_ping", id);
                }
                return new ClientMessage.HealthPong(timestamp.longValue(), id);
            case "lobby_message":
                return new ClientMessage.LobbyMessage(data(fields, "lobby_message"), id);
            case "direct_message":
                JsonNode to = fields.to;
                if (to == null || !to.isTextual() || to.textValue().isEmpty()) {
                    throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                            "direct_message needs to, a user id", id);
                }
                return new ClientMessage.DirectMessage(to.textValue(), data(fields, "direct_message"), id);
            case "ping":
                return new ClientMessage.Ping(id);
            default:
                throw new InvalidMessageException(ErrorCode.UNKNOWN_TYPE,
                        "unknown type; clients send health_pong, lobby_message, direct_message or ping", id);
        }
    }

    /** The fields a frame may have; small values as trees, {@code data} as its place in the text. */
    private static final class Fields {
        JsonNode type;
        JsonNode id;
        JsonNode to;
        JsonNode timestamp;
        RawJson data;
    }

    private static Fields read(String text) throws InvalidMessageException {
        if (text.isEmpty()) {
            throw notOneObject();
        }
        Fields fields = new Fields();
        try (JsonParser parser = StrictJson.parser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                // Also for invalid JSON after a valid first value: a frame is one object or nothing.
                throw notOneObject();
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "type" -> fields.type = parser.readValueAsTree();
                    case "id" -> fields.id = value == JsonToken.VALUE_NULL ? null : parser.readValueAsTree();
                    case "to" -> fields.to = parser.readValueAsTree();
                    case "timestamp" -> fields.timestamp = parser.readValueAsTree();
                    case "data" -> fields.data = raw(parser, text);
                    default -> parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                throw notOneObject();
            }
        } catch (IOException e) {
            throw new InvalidMessageException(ErrorCode.INVALID_JSON, "not valid JSON", null);
        }
        return fields;
    }

    /** The current value's place in the text, after reading past it (which checks it, strictly). */
    private static RawJson raw(JsonParser parser, String text) throws IOException {
        int start = (int) parser.currentTokenLocation().getCharOffset();
        parser.skipChildren();
        parser.finishToken();
        int end = (int) parser.currentLocation().getCharOffset();
        return new RawJson(text, start, end);
    }

    private static RawJson data(Fields fields, String type) throws InvalidMessageException {
        if (fields.data == null) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, type + " needs data", fields.id);
        }
        return fields.data;
    }

    private static InvalidMessageException notOneObject() {
        return new InvalidMessageException(ErrorCode.INVALID_JSON, "a frame must be one JSON object", null);
    }
}
