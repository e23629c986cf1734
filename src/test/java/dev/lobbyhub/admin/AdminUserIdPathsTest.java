package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static dev.lobbyhub.admin.AdminQueriesTest.error;
import static dev.lobbyhub.admin.AdminQueriesTest.ok;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.lobbyhub.metrics.MetricsEndpointTest;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §7: every user id a token may carry can be addressed in a path, percent-encoded: "." and ".." too, which path
 * normalisation would otherwise treat as navigation, and ids holding "/", "%", spaces or any Unicode.
 */
@QuarkusTest
class AdminUserIdPathsTest {

    @TestHTTPResource("/")
    URI base;

    /** Percent-encodes every UTF-8 byte but letters, digits, "-", "_" and "~": dots included. */
    static String encode(String id) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '~')) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }

    /** The path goes out exactly as written: RestAssured would neither encode nor normalise it. */
    private static RequestSpecification raw() {
        return admin().urlEncodingEnabled(false);
    }

    @ParameterizedTest
    @ValueSource(strings = { ".", "..", "...", "a/b", "../x", "100%", "%2E%2E", "with space", "semi;colon?#frag", "é✓ユーザー" })
    void userCanBeLookedUpMessagedPingedAndKicked(String userId) {
        String user = "/api/v1/users/" + encode(userId);
        try (TestSocket socket = TestSocket.joinWelcomed(base, Tokens.unique("ids"), Tokens.valid(userId))) {
            JsonObject found = ok(raw().get(user));
            assertEquals(userId, found.getString("user_id"));
            assertEquals(true, found.getBoolean("connected"));
            assertEquals(userId, ok(raw().get(user + "/")).getString("user_id"), "with a trailing slash");

            assertEquals(true, ok(raw().contentType("application/json").body("{\"data\":\"hi\"}").post(user + "/messages"))
                    .getBoolean("delivered"));
            JsonObject message = socket.expect("direct_message");
            assertEquals("hi", message.getString("data"));
            assertNull(message.getValue("from"));

            assertEquals(true, ok(raw().post(user + "/ping?timeout_ms=5000")).getBoolean("alive"));
            // The query survives too: a bad timeout is still seen.
            assertEquals("invalid_timeout", error(raw().post(user + "/ping?timeout_ms=0"), 400).getString("error"));

            assertEquals(204, raw().delete(user + "/connection").statusCode());
            assertEquals(new TestSocket.Close(4006, "kicked"), socket.awaitClose());
        }
        JsonObject gone = ok(raw().get(user));
        assertEquals(userId, gone.getString("user_id"));
        assertEquals(false, gone.getBoolean("connected"));
        assertEquals("user_not_found", error(raw().delete(user + "/connection"), 404).getString("error"));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            var samples = MetricsEndpointTest.scrape();
            assertTrue(MetricsEndpointTest.value(samples, AdminMetricsCardinalityTest.REQUESTS, Map.of("method", "DELETE",
                    "uri", "/api/v1/users/{id}/connection", "status", "204", "outcome", "SUCCESS")) >= 1);
            for (var sample : samples) {
                String uri = sample.labels().getOrDefault("uri", "");
                assertFalse(uri.contains("%") || uri.contains(DotSegmentUserIds.PLACEHOLDER), () -> "raw uri in " + sample);
            }
        });
    }

    /**
     * No token's {@code sub} percent-encodes to bytes that are not UTF-8 (a lone surrogate is refused, §1), so such
     * a path names nobody. It must not be decoded into replacement characters, or into "?", and reach the user who
     * holds that well-formed id: it is a 400, whatever the method.
     */
    @ParameterizedTest
    @ValueSource(strings = { "%ED%A0%80", "%ED%B0%80", "a%FFb", "%C3", "%80", "%F0%9F%98", "%C0%BF" })
    void idWhoseEncodingIsNotUtf8IsABadRequest(String encodedId) {
        String lobby = Tokens.unique("ids");
        String user = "/api/v1/users/" + encodedId;
        try (TestSocket replacement = TestSocket.joinWelcomed(base, lobby, Tokens.valid("\ufffd"));
                TestSocket question = TestSocket.joinWelcomed(base, lobby, Tokens.valid("?"))) {
            replacement.expect("member_joined");
            for (var answer : java.util.List.of(raw().get(user), raw().get(user + "/"),
                    raw().contentType("application/json").body("{\"data\":\"hi\"}").post(user + "/messages"),
                    raw().post(user + "/ping?timeout_ms=500"), raw().delete(user + "/connection"))) {
                assertEquals("invalid_user_id", error(answer, 400).getString("error"));
            }
            assertEquals(2, ok(raw().contentType("application/json").body("{\"data\":\"hi\"}")
                    .post("/api/v1/lobbies/" + lobby + "/messages")).getInteger("delivered"));
            assertEquals("lobby_message", replacement.next().getString("type"), "nothing reached U+FFFD before");
            assertEquals("lobby_message", question.next().getString("type"), "nothing reached ? before");
        }
    }

    @org.junit.jupiter.api.Test
    void badUserIdStillNeedsTheKey() {
        assertEquals(401, given().urlEncodingEnabled(false).get("/api/v1/users/%ED%A0%80").statusCode());
    }
}
