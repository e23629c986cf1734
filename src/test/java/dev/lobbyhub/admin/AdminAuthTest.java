package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §7: every admin request needs {@code Authorization: Bearer <lobbyhub.api.key>}; otherwise 401. */
@QuarkusTest
public class AdminAuthTest {

    static final String KEY = "test-admin-key";

    private static void assertUnauthorized(Response response) {
        assertEquals(401, response.statusCode(), response::asString);
        assertTrue(response.contentType().startsWith("application/json"), response.contentType());
        JsonObject body = new JsonObject(response.asString());
        assertEquals("unauthorized", body.getString("error"));
        String message = body.getString("message");
        assertNotNull(message);
        assertFalse(message.isBlank());
    }

    @Test
    void missingAuthorizationIs401WithErrorBodyAndWwwAuthenticate() {
        Response response = given().get("/api/v1/stats");
        assertUnauthorized(response);
        String challenge = response.header("WWW-Authenticate");
        assertNotNull(challenge, "401 without WWW-Authenticate");
        assertTrue(challenge.startsWith("Bearer"), challenge);
    }

    @Test
    void wrongKeyIs401() {
        assertUnauthorized(given().header("Authorization", "Bearer not-the-key").get("/api/v1/stats"));
    }

    @Test
    void keyWithoutBearerSchemeIs401() {
        assertUnauthorized(given().header("Authorization", KEY).get("/api/v1/stats"));
    }

    @Test
    void keyPrefixOrExtensionIs401() {
        assertUnauthorized(given().header("Authorization", "Bearer test-admin").get("/api/v1/stats"));
        assertUnauthorized(given().header("Authorization", "Bearer " + KEY + "x").get("/api/v1/stats"));
    }

    @Test
    void rightKeyIs200OnStats() {
        Response response = given().header("Authorization", "Bearer " + KEY).get("/api/v1/stats");
        assertEquals(200, response.statusCode(), response::asString);
        assertTrue(new JsonObject(response.asString()).containsKey("total_connections"));
    }

    @Test
    void wrongKeyOnEveryAdminRouteIs401() {
        assertUnauthorized(given().header("Authorization", "Bearer nope").get("/api/v1/lobbies"));
        assertUnauthorized(given().header("Authorization", "Bearer nope").get("/api/v1/users/someone"));
        assertUnauthorized(given().header("Authorization", "Bearer nope").contentType("application/json")
                .body("{\"data\":1}").post("/api/v1/lobbies/abc/messages"));
        assertUnauthorized(given().header("Authorization", "Bearer nope").post("/api/v1/users/someone/ping"));
        assertUnauthorized(given().header("Authorization", "Bearer nope").delete("/api/v1/users/someone/connection"));
    }

    @Test
    void unknownPathUnderApiV1WithWrongKeyIs401() {
        assertUnauthorized(given().header("Authorization", "Bearer nope").get("/api/v1/no-such-thing"));
        assertUnauthorized(given().get("/api/v1/no/such/thing"));
    }
}
