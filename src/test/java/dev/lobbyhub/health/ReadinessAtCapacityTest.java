package dev.lobbyhub.health;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.endpoint.ServerFullTest;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §8: readiness is DOWN while the node is at max-connections, UP again below it. */
@QuarkusTest
@TestProfile(ServerFullTest.TwoConnections.class)
class ReadinessAtCapacityTest {

    @TestHTTPResource("/")
    URI base;

    private static JsonObject readiness(int status) {
        Response response = given().get("/q/health/ready");
        assertEquals(status, response.statusCode(), response::asString);
        return new JsonObject(response.asString());
    }

    @Test
    void readinessIsDownAtCapacityAndUpAgainWhenOneLeaves() {
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/q/health/ready").statusCode() == 200);
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("one"), Tokens.valid(Tokens.unique("a")))) {
            JsonObject half = HealthEndpointsTest.check(readiness(200), "connections").getJsonObject("data");
            assertEquals(1, half.getInteger("connections"));
            assertEquals(50, half.getInteger("capacity_percent"));
            try (TestSocket b = TestSocket.joinWelcomed(base, Tokens.unique("two"), Tokens.valid(Tokens.unique("b")))) {
                JsonObject health = readiness(503);
                assertEquals("DOWN", health.getString("status"));
                JsonObject connections = HealthEndpointsTest.check(health, "connections");
                assertEquals("DOWN", connections.getString("status"));
                JsonObject data = connections.getJsonObject("data");
                assertEquals(2, data.getInteger("connections"));
                assertEquals(2, data.getInteger("max_connections"));
                assertEquals(100, data.getInteger("capacity_percent"));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> given().get("/q/health/ready").statusCode() == 200);
            JsonObject health = readiness(200);
            assertEquals("UP", health.getString("status"));
            assertEquals(1, HealthEndpointsTest.check(health, "connections").getJsonObject("data").getInteger("connections"));
        }
    }
}
