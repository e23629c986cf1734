package dev.lobbyhub.protocol;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Builds the JSON text of every server-to-client frame. Each returns a finished string, so a frame
 * meant for many members is built once and the same text handed to each of them.
 */
public final class ServerMessages {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ServerMessages() {
    }

    public static String welcome(String connectionId, String userId, String lobby, Collection<String> members,
            long pingIntervalMs, long staleAfterMs, int maxMessageBytes) {
        return welcome(connectionId, userId, lobby, members, pingIntervalMs, staleAfterMs, maxMessageBytes,
                List.of(), 0, null, null);
    }

    /**
     * Where a newcomer stands in its lobby's log (SPEC §11): the log's {@code epoch}, the
     * {@code offset} its welcome is as of, and whether it {@code recovered} (null when it did not ask).
     */
    public record LogPosition(String epoch, long offset, Boolean recovered) {
    }

    /**
     * {@code members}: every seated member, away ones included; {@code away}: those whose seat is
     * held (SPEC §10); {@code position}: null with the log off; {@code state}: the lobby's (SPEC §12),
     * null only where a caller has none to give.
     */
    public static String welcome(String connectionId, String userId, String lobby, Collection<String> members,
            long pingIntervalMs, long staleAfterMs, int maxMessageBytes, Collection<String> away, long reconnectGraceMs,
            LogPosition position, LobbyState state) {
        return write(g -> {
            g.writeStringField("type", "welcome");
            g.writeStringField("connection_id", connectionId);
            g.writeStringField("user_id", userId);
            g.writeStringField("lobby", lobby);
            g.writeArrayFieldStart("members");
            for (String member : members) {
                g.writeString(member);
            }
            g.writeEndArray();
            g.writeNumberField("ping_interval_ms", pingIntervalMs);
            g.writeNumberField("stale_after_ms", staleAfterMs);
            g.writeNumberField("max_message_bytes", maxMessageBytes);
            g.writeArrayFieldStart("away");
            for (String member : away) {
                g.writeString(member);
            }
            g.writeEndArray();
            g.writeNumberField("reconnect_grace_ms", reconnectGraceMs);
            if (position != null) {
                g.writeStringField("epoch", position.epoch());
                g.writeNumberField("offset", position.offset());
                if (position.recovered() != null) {
                    g.writeBooleanField("recovered", position.recovered());
                }
            }
            if (state != null) {
                g.writeStringField("owner", state.owner());
                writeSettings(g, state);
                g.writeNumberField("version", state.version());
                g.writeObjectFieldStart("member_properties");
                for (Map.Entry<String, String> member : state.memberProperties().entrySet()) {
                    g.writeFieldName(member.getKey());
                    g.writeRawValue(member.getValue());
                }
                g.writeEndObject();
            }
        });
    }

    private static void writeSettings(JsonGenerator g, LobbyState state) throws IOException {
        g.writeBooleanField("locked", state.locked());
        g.writeStringField("visibility", state.visibility());
        g.writeNumberField("max_members", state.maxMembers());
        g.writeFieldName("properties");
        g.writeRawValue(state.properties());
    }

    /** The lobby's owner is now {@code userId} (SPEC §12); {@code previous} is the one before, null when none. */
    public static String ownerChanged(String userId, String previous) {
        return write(g -> {
            g.writeStringField("type", "owner_changed");
            g.writeStringField("user_id", userId);
            g.writeStringField("previous", previous);
        });
    }

    /** The lobby's settings after update number {@code state.version()}; {@code by}: the owner, null for the admin API. */
    public static String lobbyUpdated(LobbyState state, String by) {
        return write(g -> {
            g.writeStringField("type", "lobby_updated");
            g.writeNumberField("version", state.version());
            writeSettings(g, state);
            g.writeStringField("by", by);
        });
    }

    /** A member's properties, as it set them (compact JSON object text). */
    public static String memberUpdated(String userId, String properties) {
        return write(g -> {
            g.writeStringField("type", "member_updated");
            g.writeStringField("user_id", userId);
            g.writeFieldName("properties");
            g.writeRawValue(properties);
        });
    }

    /** A frame of a lobby's log, as built by the methods here, with its {@code offset} as the last field. */
    public static String withOffset(String frame, long offset) {
        StringBuilder numbered = new StringBuilder(frame.length() + 24);
        numbered.append(frame, 0, frame.length() - 1).append(",\"offset\":").append(offset).append('}');
        return numbered.toString();
    }

    /** A member's message with an {@code id} is in its lobby's log at {@code offset}. */
    public static String ack(JsonNode id, long offset) {
        return write(g -> {
            g.writeStringField("type", "ack");
            g.writeFieldName("id");
            MAPPER.writeTree(g, id);
            g.writeNumberField("offset", offset);
        });
    }

    /** The entries {@code from} to {@code to} (inclusive) of the lobby's log could not be delivered. */
    public static String gap(long from, long to) {
        return write(g -> {
            g.writeStringField("type", "gap");
            g.writeNumberField("from", from);
            g.writeNumberField("to", to);
        });
    }

    /** The lobby's log was lost: it goes on in a new epoch after {@code offset}. */
    public static String logReset(String epoch, long offset) {
        return write(g -> {
            g.writeStringField("type", "log_reset");
            g.writeStringField("epoch", epoch);
            g.writeNumberField("offset", offset);
        });
    }

    public static String memberJoined(String userId) {
        return write(g -> {
            g.writeStringField("type", "member_joined");
            g.writeStringField("user_id", userId);
        });
    }

    /** The member's connection dropped; its seat is held for {@code holdMs} (SPEC §10). */
    public static String memberAway(String userId, String reason, long holdMs) {
        return write(g -> {
            g.writeStringField("type", "member_away");
            g.writeStringField("user_id", userId);
            g.writeStringField("reason", reason);
            g.writeNumberField("hold_ms", holdMs);
        });
    }

    /** An away member took its held seat again. */
    public static String memberBack(String userId) {
        return write(g -> {
            g.writeStringField("type", "member_back");
            g.writeStringField("user_id", userId);
        });
    }

    public static String memberLeft(String userId, String reason) {
        return write(g -> {
            g.writeStringField("type", "member_left");
            g.writeStringField("user_id", userId);
            g.writeStringField("reason", reason);
        });
    }

    /** A relayed message; {@code from} null means sent by the game backend through the admin API. */
    public static String relayed(String type, String from, JsonNode data, long ts) {
        return write(g -> {
            g.writeStringField("type", type);
            g.writeStringField("from", from);
            g.writeFieldName("data");
            MAPPER.writeTree(g, data);
            g.writeNumberField("ts", ts);
        });
    }

    /** A relayed client message: its {@code data} written back as the client wrote it. */
    public static String relayed(String type, String from, RawJson data, long ts) {
        return write(g -> {
            g.writeStringField("type", type);
            g.writeStringField("from", from);
            g.writeFieldName("data");
            g.writeRawValue(data.source(), data.start(), data.length());
            g.writeNumberField("ts", ts);
        }, data.length());
    }

    public static String healthPing(long timestamp) {
        return write(g -> {
            g.writeStringField("type", "health_ping");
            g.writeNumberField("timestamp", timestamp);
        });
    }

    public static String pong(JsonNode id, long ts) {
        return write(g -> {
            g.writeStringField("type", "pong");
            if (id != null) {
                g.writeFieldName("id");
                MAPPER.writeTree(g, id);
            }
            g.writeNumberField("ts", ts);
        });
    }

    public static String error(ErrorCode code, String message, JsonNode ref) {
        return write(g -> {
            g.writeStringField("type", "error");
            g.writeStringField("code", code.wire());
            g.writeStringField("message", message);
            if (ref != null) {
                g.writeFieldName("ref");
                MAPPER.writeTree(g, ref);
            }
        });
    }

    public static String serverShutdown(long reconnectAfterMs) {
        return write(g -> {
            g.writeStringField("type", "server_shutdown");
            g.writeNumberField("reconnect_after_ms", reconnectAfterMs);
        });
    }

    private interface Fields {
        void write(JsonGenerator generator) throws IOException;
    }

    private static String write(Fields fields) {
        return write(fields, 0);
    }

    /** {@code sizeHint}: the length of the largest part, so the buffer need not grow for it. */
    private static String write(Fields fields, int sizeHint) {
        StringWriter out = new StringWriter(64 + sizeHint);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
