package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static dev.lobbyhub.admin.AdminQueriesTest.error;
import static dev.lobbyhub.admin.AdminQueriesTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** SPEC §7: messages sent by the game backend, arriving with {@code from: null}. */
@QuarkusTest
public class AdminMessagingTest {

    /** HTTP/1.1 so that a body of unknown length goes out chunked. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TestSocket.WAIT).build();

    @TestHTTPResource("/")
    URI base;

    private static Response postJson(String path, String body, Object... params) {
        return admin().contentType("application/json").body(body).post(path, params);
    }

    private static void assertFromAdmin(JsonObject message, String type, Object data, long before) {
        assertEquals(type, message.getString("type"), message::encode);
        assertTrue(message.containsKey("from"), () -> "from must be present (null): " + message);
        assertNull(message.getValue("from"), message::encode);
        assertEquals(data, message.getValue("data"));
        long ts = message.getLong("ts");
        assertTrue(ts >= before && ts <= System.currentTimeMillis(), () -> "ts " + ts);
    }

    /**
     * Sends one more admin lobby message (the fence) and checks that it is each member's next frame. One
     * sender's messages arrive in order (SPEC §3), so anything the admin API sent astray before, or twice,
     * would have come first. {@code members} must be every member of the lobby.
     */
    private static void expectFenceNext(String lobby, TestSocket... members) {
        String fence = Tokens.unique("fence");
        JsonObject answer = ok(postJson("/api/v1/lobbies/{code}/messages", new JsonObject().put("data", fence).encode(),
                lobby));
        assertEquals(members.length, answer.getInteger("delivered"));
        for (TestSocket member : members) {
            JsonObject next = member.next();
            assertEquals("lobby_message", next.getString("type"), () -> "expected the fence first, got " + next);
            assertNull(next.getValue("from"), next::encode);
            assertEquals(fence, next.getValue("data"), () -> "expected the fence first, got " + next);
        }
    }

    @Test
    void lobbyMessageReachesEveryMemberFromNull() {
        String lobby = Tokens.unique("bcast");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("b")))) {
            a.expect("member_joined");
            long before = System.currentTimeMillis();
            JsonObject answer = ok(postJson("/api/v1/lobbies/{code}/messages", "{\"data\":{\"x\":1}}", lobby));
            assertEquals(Set.of("delivered"), answer.fieldNames());
            assertEquals(2, answer.getInteger("delivered"));
            for (TestSocket member : new TestSocket[] { a, b }) {
                JsonObject message = member.next();
                assertFromAdmin(message, "lobby_message", new JsonObject().put("x", 1), before);
                assertEquals(Set.of("type", "from", "data", "ts", "offset"), message.fieldNames());
                assertEquals(3, message.getLong("offset"), "after the two joins in the lobby's log");
            }
            expectFenceNext(lobby, a, b);
        }
    }

    @Test
    void lobbyMessageCarriesAnyJsonData() {
        String lobby = Tokens.unique("anydata");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            long before = System.currentTimeMillis();
            JsonArray data = new JsonArray().add(1).add("two").addNull().add(new JsonObject().put("é", true));
            assertEquals(1, ok(postJson("/api/v1/lobbies/{code}/messages",
                    new JsonObject().put("data", data).encode(), lobby)).getInteger("delivered"));
            assertFromAdmin(a.next(), "lobby_message", data, before);
            assertEquals(1, ok(postJson("/api/v1/lobbies/{code}/messages", "{\"data\":null}", lobby))
                    .getInteger("delivered"));
            JsonObject nullData = a.expect("lobby_message");
            assertTrue(nullData.containsKey("data"));
            assertNull(nullData.getValue("data"));
        }
    }

    @Test
    void excludedMemberGetsNothing() {
        String lobby = Tokens.unique("exclude");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob));
                TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("c")))) {
            a.expect("member_joined");
            a.expect("member_joined");
            b.expect("member_joined");
            long before = System.currentTimeMillis();
            JsonObject answer = ok(postJson("/api/v1/lobbies/{code}/messages",
                    new JsonObject().put("data", "hi").put("exclude_user_id", bob).encode(), lobby));
            assertEquals(2, answer.getInteger("delivered"));
            assertFromAdmin(a.next(), "lobby_message", "hi", before);
            assertFromAdmin(c.next(), "lobby_message", "hi", before);
            expectFenceNext(lobby, a, b, c);
        }
    }

    @Test
    void emptyLobbyDeliversZero() {
        JsonObject answer = ok(postJson("/api/v1/lobbies/{code}/messages", "{\"data\":1}", Tokens.unique("empty")));
        assertEquals(0, answer.getInteger("delivered"));
    }

    @Test
    void bodyWithoutDataIsInvalidBody() {
        String lobby = Tokens.unique("nodata");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            assertEquals("invalid_body",
                    error(postJson("/api/v1/lobbies/{code}/messages", "{\"x\":1}", lobby), 400).getString("error"));
            assertEquals("invalid_body",
                    error(postJson("/api/v1/lobbies/{code}/messages", "{}", lobby), 400).getString("error"));
            expectFenceNext(lobby, a);
        }
    }

    @Test
    void bodyThatIsNotJsonIsInvalidBody() {
        String lobby = Tokens.unique("notjson");
        for (String body : new String[] { "not json", "{\"data\":", "[1,2]", "\"data\"", "" }) {
            assertEquals("invalid_body",
                    error(postJson("/api/v1/lobbies/{code}/messages", body, lobby), 400).getString("error"),
                    () -> "body " + body);
        }
        assertEquals("invalid_body",
                error(postJson("/api/v1/users/{id}/messages", "nope", Tokens.unique("u")), 400).getString("error"));
    }

    @Test
    void bodyOverTheLimitIs413WithJsonError() {
        String lobby = Tokens.unique("big");
        String body = "{\"data\":\"" + "x".repeat(70_000) + "\"}";
        assertTrue(body.length() > 70_000);
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            error(postJson("/api/v1/lobbies/{code}/messages", body, lobby), 413);
            expectFenceNext(lobby, a);
        }
        error(postJson("/api/v1/users/{id}/messages", body, Tokens.unique("u")), 413);
    }

    @Test
    void chunkedBodyOverTheLimitIs413Too() throws Exception {
        // Without a Content-Length (Transfer-Encoding: chunked) the limit must hold just the same.
        String lobby = Tokens.unique("bigchunked");
        byte[] body = ("{\"data\":\"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/v1/lobbies/" + lobby + "/messages"))
                    .header("Authorization", "Bearer test-admin-key").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                    .timeout(TestSocket.WAIT).build();
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(413, response.statusCode(), response::body);
            JsonObject error = new JsonObject(response.body());
            assertTrue(error.getString("error") != null && error.getString("message") != null, response::body);
            expectFenceNext(lobby, a);
        }
    }

    @Test
    void directMessageReachesTheUserFromNull() {
        String lobby = Tokens.unique("direct");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
            a.expect("member_joined");
            long before = System.currentTimeMillis();
            JsonObject answer = ok(postJson("/api/v1/users/{id}/messages", "{\"data\":{\"gift\":7}}", bob));
            assertEquals(Set.of("delivered"), answer.fieldNames());
            assertEquals(true, answer.getBoolean("delivered"));
            JsonObject message = b.next();
            assertFromAdmin(message, "direct_message", new JsonObject().put("gift", 7), before);
            assertEquals(Set.of("type", "from", "data", "ts", "offset"), message.fieldNames());
            expectFenceNext(lobby, a, b);
        }
    }

    @Test
    void directMessageToUnknownUserIs404() {
        error(postJson("/api/v1/users/{id}/messages", "{\"data\":1}", Tokens.unique("ghost")), 404);
    }
}
