package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

class ServerMessagesTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonObject parse(String text) {
        return new JsonObject(text);
    }

    @Test
    void lobbyStateFramesCarryThePropertiesAsWritten() {
        LobbyState state = new LobbyState("ann", true, "public", 4, "{\"mode\":\"duel\"}", 3,
                java.util.Map.of("bob", "{\"ready\":true}"));
        JsonObject welcome = parse(ServerMessages.welcome("c-1", "bob", "room", List.of("ann", "bob"), 1, 2, 3,
                List.of(), 0, null, state));
        assertEquals("ann", welcome.getString("owner"));
        assertEquals(true, welcome.getBoolean("locked"));
        assertEquals("public", welcome.getString("visibility"));
        assertEquals(4, welcome.getInteger("max_members"));
        assertEquals(new JsonObject().put("mode", "duel"), welcome.getJsonObject("properties"));
        assertEquals(3L, welcome.getLong("version"));
        assertEquals(new JsonObject().put("bob", new JsonObject().put("ready", true)), welcome.getJsonObject("member_properties"));

        assertEquals(new JsonObject().put("type", "lobby_updated").put("version", 3).put("locked", true)
                .put("visibility", "public").put("max_members", 4).put("properties", new JsonObject().put("mode", "duel"))
                .putNull("by"), parse(ServerMessages.lobbyUpdated(state, null)));
        assertEquals(new JsonObject().put("type", "owner_changed").put("user_id", "bob").put("previous", "ann"),
                parse(ServerMessages.ownerChanged("bob", "ann")));
        assertEquals(new JsonObject().put("type", "member_updated").put("user_id", "bob")
                .put("properties", new JsonObject().put("ready", true)), parse(ServerMessages.memberUpdated("bob", "{\"ready\":true}")));
    }

    @Test
    void welcomeHasExactlyTheSpecFields() {
        JsonObject welcome = parse(ServerMessages.welcome("c-1", "alice", "room-1", List.of("bob", "alice"),
                15000, 45000, 65536));

        assertEquals(Set.of("type", "connection_id", "user_id", "lobby", "members", "ping_interval_ms",
                "stale_after_ms", "max_message_bytes", "away", "reconnect_grace_ms"), welcome.fieldNames());
        assertEquals(new JsonArray(), welcome.getJsonArray("away"));
        assertEquals(0L, welcome.getLong("reconnect_grace_ms"));
        assertEquals("welcome", welcome.getString("type"));
        assertEquals("c-1", welcome.getString("connection_id"));
        assertEquals("alice", welcome.getString("user_id"));
        assertEquals("room-1", welcome.getString("lobby"));
        assertEquals(new JsonArray().add("bob").add("alice"), welcome.getJsonArray("members"));
        assertEquals(15000L, welcome.getLong("ping_interval_ms"));
        assertEquals(45000L, welcome.getLong("stale_after_ms"));
        assertEquals(65536, welcome.getInteger("max_message_bytes"));
    }

    @Test
    void welcomeEscapesUserIdsAndLobby() {
        JsonObject welcome = parse(ServerMessages.welcome("c\"1", "al\"ice\n", "room", List.of("al\"ice\n"), 1, 2, 3));

        assertEquals("c\"1", welcome.getString("connection_id"));
        assertEquals("al\"ice\n", welcome.getString("user_id"));
        assertEquals("al\"ice\n", welcome.getJsonArray("members").getString(0));
    }

    @Test
    void memberAwayAndBackHaveTheirFields() {
        assertEquals(new JsonObject().put("type", "member_away").put("user_id", "bob").put("reason", "dropped")
                .put("hold_ms", 20000), parse(ServerMessages.memberAway("bob", "dropped", 20000)));
        assertEquals(new JsonObject().put("type", "member_back").put("user_id", "bob"),
                parse(ServerMessages.memberBack("bob")));
    }

    @Test
    void memberJoinedHasTypeAndUserId() {
        JsonObject joined = parse(ServerMessages.memberJoined("bob"));

        assertEquals(new JsonObject().put("type", "member_joined").put("user_id", "bob"), joined);
    }

    @Test
    void memberLeftHasTypeUserIdAndReason() {
        JsonObject left = parse(ServerMessages.memberLeft("bob", "stale"));

        assertEquals(new JsonObject().put("type", "member_left").put("user_id", "bob").put("reason", "stale"), left);
    }

    @Test
    void relayedLobbyMessageHasFromDataAndTs() throws Exception {
        JsonNode data = MAPPER.readTree("{\"move\":[1,2],\"s\":\"x\"}");
        JsonObject relayed = parse(ServerMessages.relayed("lobby_message", "alice", data, 1700000000123L));

        assertEquals(Set.of("type", "from", "data", "ts"), relayed.fieldNames());
        assertEquals("lobby_message", relayed.getString("type"));
        assertEquals("alice", relayed.getString("from"));
        assertEquals(new JsonObject("{\"move\":[1,2],\"s\":\"x\"}"), relayed.getJsonObject("data"));
        assertEquals(1700000000123L, relayed.getLong("ts"));
    }

    @Test
    void relayedDirectMessageKeepsNullFromAsJsonNull() {
        JsonObject relayed = parse(ServerMessages.relayed("direct_message", null, TextNode.valueOf("hi"), 5));

        assertEquals(Set.of("type", "from", "data", "ts"), relayed.fieldNames());
        assertEquals("direct_message", relayed.getString("type"));
        assertTrue(relayed.containsKey("from"));
        assertNull(relayed.getValue("from"));
        assertEquals("hi", relayed.getString("data"));
        assertEquals(5L, relayed.getLong("ts"));
    }

    @Test
    void relayedKeepsNullDataAsJsonNull() {
        JsonObject relayed = parse(ServerMessages.relayed("lobby_message", "alice", NullNode.getInstance(), 5));

        assertTrue(relayed.containsKey("data"));
        assertNull(relayed.getValue("data"));
    }

    @Test
    void healthPingHasTimestamp() {
        assertEquals(new JsonObject().put("type", "health_ping").put("timestamp", 1700000000123L),
                parse(ServerMessages.healthPing(1700000000123L)));
    }

    @Test
    void pongEchoesStringOrNumericId() {
        JsonObject withString = parse(ServerMessages.pong(TextNode.valueOf("p-1"), 10));
        JsonObject withNumber = parse(ServerMessages.pong(IntNode.valueOf(7), 10));

        assertEquals(new JsonObject().put("type", "pong").put("id", "p-1").put("ts", 10L), withString);
        assertEquals(new JsonObject().put("type", "pong").put("id", 7).put("ts", 10L), withNumber);
    }

    @Test
    void pongOmitsIdWhenNull() {
        JsonObject pong = parse(ServerMessages.pong(null, 10));

        assertEquals(Set.of("type", "ts"), pong.fieldNames());
        assertEquals("pong", pong.getString("type"));
        assertEquals(10L, pong.getLong("ts"));
    }

    @Test
    void errorHasWireCodeMessageAndRef() {
        JsonObject error = parse(ServerMessages.error(ErrorCode.UNKNOWN_TYPE, "unknown type", TextNode.valueOf("m1")));

        assertEquals(new JsonObject().put("type", "error").put("code", "unknown_type").put("message", "unknown type")
                .put("ref", "m1"), error);
    }

    @Test
    void errorOmitsRefWhenNull() {
        JsonObject error = parse(ServerMessages.error(ErrorCode.INVALID_JSON, "not valid JSON", null));

        assertEquals(Set.of("type", "code", "message"), error.fieldNames());
        assertFalse(error.containsKey("ref"));
        assertEquals("invalid_json", error.getString("code"));
    }

    @Test
    void everyErrorCodeIsWrittenInSnakeCase() {
        List<String> expected = List.of("invalid_json", "invalid_message", "unknown_type", "user_not_found",
                "rate_limited", "binary_not_supported", "not_owner", "version_conflict", "properties_too_large");
        ErrorCode[] codes = ErrorCode.values();

        assertEquals(expected.size(), codes.length);
        for (int i = 0; i < codes.length; i++) {
            assertEquals(expected.get(i), parse(ServerMessages.error(codes[i], "m", null)).getString("code"));
        }
    }

    @Test
    void serverShutdownHasReconnectAfterMs() {
        assertEquals(new JsonObject().put("type", "server_shutdown").put("reconnect_after_ms", 2500L),
                parse(ServerMessages.serverShutdown(2500)));
    }
}
