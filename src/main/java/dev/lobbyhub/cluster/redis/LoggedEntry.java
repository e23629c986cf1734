package dev.lobbyhub.cluster.redis;

import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.LogEntry;

/**
 * An entry of a lobby's log as the scripts write it ({@code lib.lua}): the entry's fields as JSON
 * ({@code ev} = {@code msg}, {@code joined}, {@code left}, {@code replaced}, {@code away}, {@code back}, or a
 * state change {@code owner}, {@code lobby} or {@code mprops}; {@code o} its offset,
 * {@code e} the log's epoch) and, for a message, its frame without the offset (for {@code lobby} and
 * {@code mprops}: the properties). Published on the
 * lobby's channel as {@code "L" + fields + "\n" + frame}, kept in the lobby's stream as fields
 * {@code m} and {@code f}.
 */
record LoggedEntry(JsonNode fields, String frame) {

    /** Whether a lobby channel's payload is a log entry (else an envelope between nodes). */
    static boolean isOne(String payload) {
        return !payload.isEmpty() && payload.charAt(0) == 'L';
    }

    static LoggedEntry parse(String payload) {
        int newline = payload.indexOf('\n');
        return new LoggedEntry(Envelope.json(payload.substring(1, newline)), payload.substring(newline + 1));
    }

    long offset() {
        return fields.path("o").asLong();
    }

    String epoch() {
        return fields.path("e").asText();
    }

    String kind() {
        return fields.path("ev").asText();
    }

    /** A field as text, or null when absent. */
    String text(String field) {
        JsonNode value = fields.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    LeaveReason reason() {
        return leaveReason(fields.path("reason").asText());
    }

    /** A leave reason as the scripts write it; {@code left} when unknown. */
    static LeaveReason leaveReason(String wire) {
        try {
            return LeaveReason.valueOf(wire.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            return LeaveReason.LEFT;
        }
    }

    /** The frame members get, without its offset; null for an entry that tells them nothing (a seat taken over). */
    String bareFrame() {
        return switch (kind()) {
            case "msg" -> frame;
            case "joined" -> ServerMessages.memberJoined(text("user"));
            case "left" -> ServerMessages.memberLeft(text("user"), reason().wire());
            case "away" -> ServerMessages.memberAway(text("user"), reason().wire(), fields.path("hold_ms").asLong());
            case "back" -> ServerMessages.memberBack(text("user"));
            case "owner" -> ServerMessages.ownerChanged(text("user"), text("previous"));
            case "lobby" -> ServerMessages.lobbyUpdated(settings(null, Map.of()), text("by"));
            case "mprops" -> ServerMessages.memberUpdated(text("user"), frame);
            // A reservation the owner kicked (SPEC §12): the lobby hears the user is out.
            case "unreserved" -> ServerMessages.memberLeft(text("user"), reason().wire());
            default -> null;
        };
    }

    /** A {@code lobby} entry's settings, as a state with this owner and these players' properties. */
    LobbyState settings(String owner, Map<String, String> memberProperties) {
        return new LobbyState(owner, fields.path("l").asBoolean(), text("vis"), fields.path("max").asInt(), frame,
                fields.path("v").asLong(), memberProperties);
    }

    /** The user who alone gets it (a direct message), or null. */
    String only() {
        return "msg".equals(kind()) ? text("to") : null;
    }

    /**
     * The user who does not get it: a message's sender, the member a seat change is about; nobody
     * for a change of the lobby's state (SPEC §12: every member hears those, the one it is about included).
     */
    String except() {
        if (isStateChange()) {
            return null;
        }
        return "msg".equals(kind()) ? text("x") : text("user");
    }

    /** An {@code owner_changed}, {@code lobby_updated} or {@code member_updated}. */
    boolean isStateChange() {
        String kind = kind();
        return "owner".equals(kind) || "lobby".equals(kind) || "mprops".equals(kind);
    }

    /** As members get it, offset included (when the log is on). */
    LogEntry toLogEntry(boolean numbered) {
        String bare = bareFrame();
        String members = bare == null || !numbered ? bare : ServerMessages.withOffset(bare, offset());
        return new LogEntry(offset(), members, only(), except());
    }
}
