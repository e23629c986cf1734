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
            case "lobby_update":
                return lobbyUpdate(fields);
            case "member_update":
                return new ClientMessage.MemberUpdate(properties(fields, "member_update", true), id);
            case "kick":
                JsonNode kicked = fields.userId;
                if (kicked == null || !kicked.isTextual() || kicked.textValue().isEmpty()) {
                    throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, "kick needs user_id, a user id", id);
                }
                return new ClientMessage.Kick(kicked.textValue(), id);
            default:
                throw new InvalidMessageException(ErrorCode.UNKNOWN_TYPE, "unknown type; clients send health_pong, "
                        + "lobby_message, direct_message, ping, lobby_update, member_update or kick", id);
        }
    }

    /**
     * The fields of a {@code lobby_update} from an object that is not a frame (the admin API's
     * {@code PATCH} body, SPEC §12), by the same rules; unknown fields are ignored.
     */
    public static ClientMessage.LobbyUpdate lobbyUpdate(JsonNode body) throws InvalidMessageException {
        Fields fields = new Fields();
        fields.locked = body.get("locked");
        fields.visibility = body.get("visibility");
        fields.maxMembers = body.get("max_members");
        fields.properties = body.get("properties");
        fields.expectedVersion = body.get("expected_version");
        return lobbyUpdate(fields);
    }

    /**
     * A {@code lobby_update} (SPEC §12): each setting optional, at least one given, each of its type;
     * the limits that depend on configuration ({@code max-per-lobby}, the properties' size) are the
     * caller's to check.
     */
    private static ClientMessage.LobbyUpdate lobbyUpdate(Fields fields) throws InvalidMessageException {
        JsonNode id = fields.id;
        Boolean locked = null;
        if (fields.locked != null) {
            if (!fields.locked.isBoolean()) {
                throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, "locked must be true or false", id);
            }
            locked = fields.locked.booleanValue();
        }
        String visibility = null;
        if (fields.visibility != null) {
            if (!fields.visibility.isTextual() || !Visibility.isOne(fields.visibility.textValue())) {
                throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, "visibility must be public or private", id);
            }
            visibility = fields.visibility.textValue();
        }
        Long maxMembers = null;
        if (fields.maxMembers != null) {
            if (!isWhole(fields.maxMembers) || fields.maxMembers.longValue() < 1) {
                throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                        "max_members must be a whole number from 1 to the lobby limit", id);
            }
            maxMembers = fields.maxMembers.longValue();
        }
        Long expected = null;
        if (fields.expectedVersion != null) {
            if (!isWhole(fields.expectedVersion) || fields.expectedVersion.longValue() < 0) {
                throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                        "expected_version must be a whole number, 0 or more", id);
            }
            expected = fields.expectedVersion.longValue();
        }
        String properties = properties(fields, "lobby_update", false);
        if (locked == null && visibility == null && maxMembers == null && properties == null) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE,
                    "lobby_update needs one of locked, visibility, max_members or properties", id);
        }
        return new ClientMessage.LobbyUpdate(locked, visibility, maxMembers, properties, expected, id);
    }

    /** An integer that fits a long (1.0 is not one: a client that means a count writes it without a fraction). */
    private static boolean isWhole(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToLong();
    }

    /** {@code properties} as compact JSON text; null when absent and not {@code required}. */
    private static String properties(Fields fields, String type, boolean required) throws InvalidMessageException {
        if (fields.properties == null && !required) {
            return null;
        }
        if (fields.properties == null || !fields.properties.isObject()) {
            throw new InvalidMessageException(ErrorCode.INVALID_MESSAGE, type + " needs properties, a JSON object",
                    fields.id);
        }
        return fields.properties.toString();
    }

    /** The fields a frame may have; small values as trees, {@code data} as its place in the text. */
    private static final class Fields {
        JsonNode type;
        JsonNode id;
        JsonNode to;
        JsonNode timestamp;
        RawJson data;
        JsonNode userId;
        JsonNode locked;
        JsonNode visibility;
        JsonNode maxMembers;
        JsonNode properties;
        JsonNode expectedVersion;
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
                    case "user_id" -> fields.userId = parser.readValueAsTree();
                    case "locked" -> fields.locked = parser.readValueAsTree();
                    case "visibility" -> fields.visibility = parser.readValueAsTree();
                    case "max_members" -> fields.maxMembers = parser.readValueAsTree();
                    case "properties" -> fields.properties = parser.readValueAsTree();
                    case "expected_version" -> fields.expectedVersion = parser.readValueAsTree();
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
