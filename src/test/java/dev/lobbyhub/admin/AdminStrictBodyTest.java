package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static dev.lobbyhub.admin.AdminQueriesTest.error;
import static dev.lobbyhub.admin.AdminQueriesTest.ok;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.EncoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §7: admin bodies are read as strictly as WebSocket frames, and only as application/json. */
@QuarkusTest
class AdminStrictBodyTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TestSocket.WAIT).build();

    /** Sends the Content-Type exactly as given, without a charset added by RestAssured; bodies go as bytes. */
    private static final RestAssuredConfig VERBATIM = RestAssuredConfig.config()
            .encoderConfig(EncoderConfig.encoderConfig().appendDefaultContentCharsetToContentTypeIfUndefined(false));

    @TestHTTPResource("/")
    URI base;

    private static Response post(String contentType, String body, String path, Object... params) {
        return admin().config(VERBATIM).contentType(contentType).body(body.getBytes(StandardCharsets.UTF_8))
                .post(path, params);
    }

    private static void assertNothingArrived(TestSocket socket) {
        socket.send(new JsonObject().put("type", "ping").put("id", "probe"));
        JsonObject next = socket.next();
        assertEquals("pong", next.getString("type"), () -> "expected nothing before the pong, got " + next);
    }

    @Test
    void trailingDataDuplicateKeysAndNonObjectsAreInvalidBody() {
        String lobby = Tokens.unique("strict");
        String bob = Tokens.unique("bob");
        try (TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
            for (String body : new String[] { "{\"data\":1} x", "{\"data\":1}{\"data\":2}", "{\"data\":1} []",
                    "{\"data\":1,\"data\":2}", "{\"data\":{\"a\":1,\"a\":1}}", "[{\"data\":1}]", "1", "null" }) {
                assertEquals("invalid_body", error(post("application/json", body,
                        "/api/v1/lobbies/{code}/messages", lobby), 400).getString("error"), body);
                assertEquals("invalid_body", error(post("application/json", body,
                        "/api/v1/users/{id}/messages", bob), 400).getString("error"), body);
            }
            assertNothingArrived(b);
        }
    }

    @Test
    void whitespaceAroundTheObjectIsFine() {
        String lobby = Tokens.unique("strictok");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            assertEquals(1, ok(post("application/json", "\n {\"data\":1} \r\n", "/api/v1/lobbies/{code}/messages",
                    lobby)).getInteger("delivered"));
            assertEquals("lobby_message", a.next().getString("type"));
        }
    }

    @Test
    void otherContentTypesAre415() {
        String lobby = Tokens.unique("ctype");
        String bob = Tokens.unique("bob");
        try (TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
            for (String type : new String[] { "text/plain", "application/*", "*/*", "application/json-patch+json",
                    "application/jsonx", "text/json", "application/json; charset=iso-8859-1",
                    "application/json; foo=bar" }) {
                assertEquals("unsupported_media_type", error(post(type, "{\"data\":1}",
                        "/api/v1/lobbies/{code}/messages", lobby), 415).getString("error"), type);
                assertEquals("unsupported_media_type", error(post(type, "{\"data\":1}",
                        "/api/v1/users/{id}/messages", bob), 415).getString("error"), type);
            }
            assertEquals("unsupported_media_type", error(admin().formParam("data", "1")
                    .post("/api/v1/lobbies/{code}/messages", lobby), 415).getString("error"));
            assertEquals("unsupported_media_type", error(admin().formParam("data", "1")
                    .post("/api/v1/users/{id}/messages", bob), 415).getString("error"));
            assertNothingArrived(b);
        }
    }

    @Test
    void jsonWithUtf8CharsetInAnyCaseIsAccepted() {
        String bob = Tokens.unique("bob");
        try (TestSocket b = TestSocket.joinWelcomed(base, Tokens.unique("utf8"), Tokens.valid(bob))) {
            for (String type : new String[] { "application/json", "application/json; charset=utf-8",
                    "Application/JSON;charset=UTF-8", "application/json; charset=\"utf-8\"" }) {
                assertEquals(true, ok(post(type, "{\"data\":\"é\"}", "/api/v1/users/{id}/messages", bob))
                        .getBoolean("delivered"), type);
                assertEquals("é", b.expect("direct_message").getString("data"), type);
            }
        }
    }

    @Test
    void bodyWithoutContentTypeIs415() throws Exception {
        // RestAssured always names a type for a body; the JDK client sends none unless told.
        String lobby = Tokens.unique("notype");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")))) {
            HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/v1/lobbies/" + lobby + "/messages"))
                    .header("Authorization", "Bearer test-admin-key")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\":1}")).timeout(TestSocket.WAIT).build();
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(415, response.statusCode(), response::body);
            assertEquals("unsupported_media_type", new JsonObject(response.body()).getString("error"));
            assertNothingArrived(a);
        }
    }

    @Test
    void theKeyIsCheckedBeforeTheBody() {
        Response response = given().header("Authorization", "Bearer wrong").contentType("text/plain").body("x")
                .post("/api/v1/lobbies/{code}/messages", Tokens.unique("l"));
        assertEquals("unauthorized", error(response, 401).getString("error"));
    }

    @Test
    void postWithoutABodyNeedsNoContentType() {
        // A ping carries no body: whatever Content-Type a client adds by habit does not matter.
        error(admin().contentType("application/x-www-form-urlencoded").post("/api/v1/users/{id}/ping",
                Tokens.unique("ghost")), 404);
    }
}
