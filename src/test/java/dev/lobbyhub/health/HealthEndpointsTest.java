package dev.lobbyhub.health;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** SPEC §8: liveness follows the health sweep, readiness carries the connection figures. */
@QuarkusTest
public class HealthEndpointsTest {

    @TestHTTPResource("/")
    URI base;

    static JsonObject check(JsonObject health, String name) {
        JsonArray checks = health.getJsonArray("checks");
        for (int i = 0; i < checks.size(); i++) {
            if (name.equals(checks.getJsonObject(i).getString("name"))) {
                return checks.getJsonObject(i);
            }
        }
        throw new AssertionError("no check named " + name + " in " + health);
    }

    @Test
    void livenessIsUpWithTheHealthSweepCheck() {
        Response response = given().get("/q/health/live");
        assertEquals(200, response.statusCode(), response::asString);
        JsonObject health = new JsonObject(response.asString());
        assertEquals("UP", health.getString("status"));
        assertEquals("UP", check(health, "health-sweep").getString("status"));
    }

    @Test
    void readinessIsUpWithConnectionFigures() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("ready"), Tokens.valid(Tokens.unique("a")))) {
            Response response = given().get("/q/health/ready");
            assertEquals(200, response.statusCode(), response::asString);
            JsonObject health = new JsonObject(response.asString());
            assertEquals("UP", health.getString("status"));
            JsonObject connections = check(health, "connections");
            assertEquals("UP", connections.getString("status"));
            JsonObject data = connections.getJsonObject("data");
            assertNotNull(data, connections::encode);
            int open = data.getInteger("connections");
            int max = data.getInteger("max_connections");
            assertTrue(open >= 1, data::encode);
            assertEquals(10000, max);
            assertEquals(open * 100L / max, data.getLong("capacity_percent"));
        }
    }

    @Test
    void overallHealthIsUp() {
        Response response = given().get("/q/health");
        assertEquals(200, response.statusCode(), response::asString);
        JsonObject health = new JsonObject(response.asString());
        assertEquals("UP", health.getString("status"));
        check(health, "health-sweep");
        check(health, "connections");
    }
}
