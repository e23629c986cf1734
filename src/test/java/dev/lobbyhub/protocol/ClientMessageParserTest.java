package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;

class ClientMessageParserTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return MAPPER.readTree(text);
    }

    private static InvalidMessageException rejected(String text) {
        return assertThrows(InvalidMessageException.class, () -> ClientMessageParser.parse(text), text);
    }

    // --- valid messages ---

    @Test
    void lobbyStateMessagesParseWithTheirFields() throws Exception {
        ClientMessage.LobbyUpdate update = assertInstanceOf(ClientMessage.LobbyUpdate.class, ClientMessageParser.parse(
                "{\"type\":\"lobby_update\",\"locked\":true,\"visibility\":\"public\",\"max_members\":2,"
                        + "\"properties\":{ \"mode\" : \"duel\" },\"expected_version\":0,\"id\":3,\"extra\":1}"));
        assertEquals(new ClientMessage.LobbyUpdate(true, "public", 2L, "{\"mode\":\"duel\"}", 0L, json("3")), update);
        ClientMessage.LobbyUpdate partial = assertInstanceOf(ClientMessage.LobbyUpdate.class,
                ClientMessageParser.parse("{\"type\":\"lobby_update\",\"properties\":{}}"));
        assertEquals(new ClientMessage.LobbyUpdate(null, null, null, "{}", null, null), partial);

        assertEquals(new ClientMessage.MemberUpdate("{\"ready\":true}", null),
                ClientMessageParser.parse("{\"type\":\"member_update\",\"properties\":{\"ready\":true}}"));
        assertEquals(new ClientMessage.Kick("bob", null), ClientMessageParser.parse("{\"type\":\"kick\",\"user_id\":\"bob\"}"));
    }

    @Test
    void badLobbyStateMessagesAreInvalidMessages() {
        for (String bad : new String[] { "{\"type\":\"lobby_update\"}", "{\"type\":\"lobby_update\",\"locked\":null}",
                "{\"type\":\"lobby_update\",\"locked\":\"true\"}", "{\"type\":\"lobby_update\",\"visibility\":\"PUBLIC\"}",
                "{\"type\":\"lobby_update\",\"max_members\":0}", "{\"type\":\"lobby_update\",\"max_members\":2.0}",
                "{\"type\":\"lobby_update\",\"locked\":true,\"expected_version\":-1}",
                "{\"type\":\"lobby_update\",\"properties\":[]}", "{\"type\":\"member_update\"}",
                "{\"type\":\"member_update\",\"properties\":\"x\"}", "{\"type\":\"kick\"}", "{\"type\":\"kick\",\"user_id\":\"\"}" }) {
            assertEquals(ErrorCode.INVALID_MESSAGE, rejected(bad).code(), bad);
        }
    }

    @Test
    void healthPongParsesWithTimestamp() throws Exception {
        ClientMessage message = ClientMessageParser.parse("{\"type\":\"health_pong\",\"timestamp\":1712345678901}");

        ClientMessage.HealthPong pong = assertInstanceOf(ClientMessage.HealthPong.class, message);
        assertEquals(1712345678901L, pong.timestamp());
        assertEquals("health_pong", pong.type());
    }

    @Test
    void lobbyMessageParsesWithDataAndId() throws Exception {
        ClientMessage message = ClientMessageParser.parse(
                "{\"type\":\"lobby_message\",\"data\":{\"move\":[1,2]},\"id\":\"m1\"}");

        ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class, message);
        assertEquals("{\"move\":[1,2]}", lobby.data().text());
        assertEquals(TextNode.valueOf("m1"), lobby.id());
        assertEquals("lobby_message", lobby.type());
    }

    @Test
    void lobbyMessageWithoutIdHasNullId() throws Exception {
        ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class,
                ClientMessageParser.parse("{\"type\":\"lobby_message\",\"data\":\"hi\"}"));

        assertEquals("\"hi\"", lobby.data().text());
        assertNull(lobby.id());
    }

    @Test
    void lobbyMessageAcceptsAnyJsonAsData() throws Exception {
        for (String data : new String[] { "1", "\"text\"", "[1,\"a\"]", "{}", "true", "2.5" }) {
            ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class,
                    ClientMessageParser.parse("{\"type\":\"lobby_message\",\"data\":" + data + "}"));
            assertEquals(data, lobby.data().text(), data);
        }
    }

    @Test
    void directMessageParsesWithToDataAndId() throws Exception {
        ClientMessage message = ClientMessageParser.parse(
                "{\"type\":\"direct_message\",\"to\":\"bob\",\"data\":[1,2,3],\"id\":7}");

        ClientMessage.DirectMessage direct = assertInstanceOf(ClientMessage.DirectMessage.class, message);
        assertEquals("bob", direct.to());
        assertEquals("[1,2,3]", direct.data().text());
        assertEquals(IntNode.valueOf(7), direct.id());
        assertEquals("direct_message", direct.type());
    }

    @Test
    void pingParsesWithAndWithoutId() throws Exception {
        ClientMessage.Ping withId = assertInstanceOf(ClientMessage.Ping.class,
                ClientMessageParser.parse("{\"type\":\"ping\",\"id\":\"p-1\"}"));
        ClientMessage.Ping withoutId = assertInstanceOf(ClientMessage.Ping.class,
                ClientMessageParser.parse("{\"type\":\"ping\"}"));

        assertEquals(TextNode.valueOf("p-1"), withId.id());
        assertNull(withoutId.id());
        assertEquals("ping", withId.type());
    }

    @Test
    void nullDataIsAcceptedAsData() throws Exception {
        ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class,
                ClientMessageParser.parse("{\"type\":\"lobby_message\",\"data\":null}"));
        ClientMessage.DirectMessage direct = assertInstanceOf(ClientMessage.DirectMessage.class,
                ClientMessageParser.parse("{\"type\":\"direct_message\",\"to\":\"bob\",\"data\":null}"));

        assertEquals("null", lobby.data().text());
        assertEquals("null", direct.data().text());
    }

    @Test
    void unknownExtraFieldsAreIgnored() throws Exception {
        ClientMessage.Ping ping = assertInstanceOf(ClientMessage.Ping.class,
                ClientMessageParser.parse("{\"type\":\"ping\",\"extra\":{\"a\":1},\"more\":[true]}"));
        ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class,
                ClientMessageParser.parse("{\"foo\":1,\"type\":\"lobby_message\",\"data\":2,\"bar\":\"x\"}"));

        assertNull(ping.id());
        assertEquals("2", lobby.data().text());
    }

    @Test
    void dataIsKeptExactlyAsWrittenWhereverItStands() throws Exception {
        for (String data : new String[] { "{ \"a\" : [ 1 , 2 ] }", "\"esc\\\"aped \\u00e9 \\n\"", "\"caf\u00e9 \ud83c\udfae\"",
                "-1.5e3", "[]", "{\"deep\":{\"deeper\":[{\"x\":null}]}}" }) {
            for (String frame : new String[] { "{\"type\":\"lobby_message\",\"data\":" + data + "}",
                    "{\"data\":" + data + ",\"type\":\"lobby_message\"}",
                    " { \"data\" :\t" + data + " , \"type\" : \"lobby_message\" } " }) {
                ClientMessage.LobbyMessage lobby = assertInstanceOf(ClientMessage.LobbyMessage.class,
                        ClientMessageParser.parse(frame));
                assertEquals(data, lobby.data().text(), frame);
                assertEquals(json(data), json(lobby.data().text()), frame);
            }
        }
    }

    // --- invalid_json ---

    @ParameterizedTest
    @ValueSource(strings = { "{\"type\":\"lobby_message\",\"data\":{\"a\":1,\"a\":2}}",
            "{\"type\":\"lobby_message\",\"data\":[1,}",
            "{\"type\":\"lobby_message\",\"data\":1,\"data\":2}",
            "{\"type\":\"lobby_message\",\"data\":\"unterminated}",
            "{\"type\":\"teleport\",\"id\":1,\"x\":[}" })
    void invalidJsonAnywhereIsInvalidJsonEvenInsideData(String text) {
        InvalidMessageException e = rejected(text);

        assertEquals(ErrorCode.INVALID_JSON, e.code());
        assertNull(e.ref());
    }

    @ParameterizedTest
    @ValueSource(strings = { "", " ", "not json", "{", "{\"type\":", "[]", "[{\"type\":\"ping\"}]", "42", "\"ping\"",
            "null", "true", "{\"type\":\"ping\"} x", "{\"type\":\"ping\"}{\"type\":\"ping\"}", "{\"type\":\"ping\"} 1" })
    void frameThatIsNotOneJsonObjectIsInvalidJson(String text) {
        InvalidMessageException e = rejected(text);

        assertEquals(ErrorCode.INVALID_JSON, e.code());
        assertNull(e.ref());
    }

    // --- invalid_message ---

    @ParameterizedTest
    @ValueSource(strings = { "{}", "{\"id\":1}", "{\"type\":null}", "{\"type\":1}", "{\"type\":true}",
            "{\"type\":[\"ping\"]}", "{\"type\":{\"name\":\"ping\"}}" })
    void typeMissingNullOrNotAStringIsInvalidMessage(String text) {
        assertEquals(ErrorCode.INVALID_MESSAGE, rejected(text).code());
    }

    @Test
    void lobbyMessageWithoutDataIsInvalidMessage() {
        assertEquals(ErrorCode.INVALID_MESSAGE, rejected("{\"type\":\"lobby_message\"}").code());
    }

    @Test
    void directMessageWithoutDataIsInvalidMessage() {
        assertEquals(ErrorCode.INVALID_MESSAGE, rejected("{\"type\":\"direct_message\",\"to\":\"bob\"}").code());
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"type\":\"direct_message\",\"data\":1}",
            "{\"type\":\"direct_message\",\"to\":null,\"data\":1}",
            "{\"type\":\"direct_message\",\"to\":5,\"data\":1}",
            "{\"type\":\"direct_message\",\"to\":[\"bob\"],\"data\":1}",
            "{\"type\":\"direct_message\",\"to\":\"\",\"data\":1}" })
    void directMessageWithoutANonEmptyStringToIsInvalidMessage(String text) {
        assertEquals(ErrorCode.INVALID_MESSAGE, rejected(text).code());
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"type\":\"health_pong\"}",
            "{\"type\":\"health_pong\",\"timestamp\":null}",
            "{\"type\":\"health_pong\",\"timestamp\":\"123\"}",
            "{\"type\":\"health_pong\",\"timestamp\":1.5}",
            "{\"type\":\"health_pong\",\"timestamp\":true}",
            "{\"type\":\"health_pong\",\"timestamp\":[1]}",
            "{\"type\":\"health_pong\",\"timestamp\":99999999999999999999999}" })
    void healthPongWithoutAnIntegerTimestampIsInvalidMessage(String text) {
        assertEquals(ErrorCode.INVALID_MESSAGE, rejected(text).code());
    }

    // --- unknown_type ---

    @ParameterizedTest
    @ValueSource(strings = { "welcome", "teleport", "member_joined", "health_ping", "pong", "error", "server_shutdown",
            "PING", "" })
    void stringTypeThatClientsMayNotSendIsUnknownType(String type) {
        assertEquals(ErrorCode.UNKNOWN_TYPE, rejected("{\"type\":\"" + type + "\",\"data\":1}").code());
    }

    // --- ref ---

    @Test
    void refIsTheStringIdOfTheOffendingMessage() {
        assertEquals(TextNode.valueOf("abc"), rejected("{\"type\":\"teleport\",\"id\":\"abc\"}").ref());
        assertEquals(TextNode.valueOf("abc"), rejected("{\"type\":\"lobby_message\",\"id\":\"abc\"}").ref());
    }

    @Test
    void refIsTheNumericIdOfTheOffendingMessage() {
        assertEquals(IntNode.valueOf(42), rejected("{\"type\":\"health_pong\",\"id\":42}").ref());
        assertEquals(IntNode.valueOf(42), rejected("{\"type\":7,\"id\":42}").ref());
        assertEquals(IntNode.valueOf(42),
                rejected("{\"type\":\"direct_message\",\"data\":1,\"id\":42}").ref());
    }

    @Test
    void refIsNullWhenTheOffendingMessageHasNoId() {
        assertNull(rejected("{\"type\":\"teleport\"}").ref());
        assertNull(rejected("{\"type\":\"lobby_message\"}").ref());
        assertNull(rejected("{}").ref());
    }

    @Test
    void nullIdCountsAsNoId() throws Exception {
        assertNull(rejected("{\"type\":\"teleport\",\"id\":null}").ref());
        assertNull(((ClientMessage.Ping) ClientMessageParser.parse("{\"type\":\"ping\",\"id\":null}")).id());
    }

    @Test
    void errorMessageIsReadableText() {
        InvalidMessageException e = rejected("{\"type\":\"lobby_message\"}");

        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    }
}
