package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** The admin API is described at {@code /q/openapi}, without needing the admin key. */
@QuarkusTest
class OpenApiTest {

    @Test
    void openApiDocumentListsTheAdminPaths() {
        Response response = given().queryParam("format", "json").get("/q/openapi");
        assertEquals(200, response.statusCode());
        JsonObject paths = new JsonObject(response.asString()).getJsonObject("paths");
        Set<String> names = paths.fieldNames();
        for (String path : new String[] { "/api/v1/stats", "/api/v1/lobbies", "/api/v1/lobbies/{code}",
                "/api/v1/users/{id}", "/api/v1/lobbies/{code}/messages", "/api/v1/users/{id}/messages",
                "/api/v1/users/{id}/ping", "/api/v1/users/{id}/connection" }) {
            assertTrue(names.contains(path), () -> path + " missing from " + names);
        }
        assertTrue(paths.getJsonObject("/api/v1/users/{id}/ping").containsKey("post"));
        assertTrue(paths.getJsonObject("/api/v1/users/{id}/connection").containsKey("delete"));
    }

    @Test
    void openApiAnswersJsonForAcceptHeader() {
        Response response = given().header("Accept", "application/json").get("/q/openapi");
        assertEquals(200, response.statusCode());
        String body = response.asString();
        assertTrue(body.contains("/api/v1/stats"));
        assertTrue(body.contains("/api/v1/users/{id}/ping"));
    }

    @Test
    void openApiDeclaresBearerSecurity() {
        JsonObject doc = new JsonObject(given().queryParam("format", "json").get("/q/openapi").asString());
        JsonObject schemes = doc.getJsonObject("components").getJsonObject("securitySchemes");
        assertTrue(schemes.stream().anyMatch(e -> e.getValue() instanceof JsonObject scheme
                && "http".equals(scheme.getString("type")) && "bearer".equalsIgnoreCase(scheme.getString("scheme"))),
                schemes::encode);
    }
}
