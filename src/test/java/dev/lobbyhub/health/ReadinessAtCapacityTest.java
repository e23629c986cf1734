package dev.lobbyhub.health;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.endpoint.ServerFullTest;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §8: readiness is DOWN while the node is at max-connections, UP again below it; the gauge lobbyhub_ready follows. */
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

    /** The value of {@code lobbyhub_ready} in a scrape. */
    private static double readyGauge() {
        String metrics = given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher line = READY.matcher(metrics);
        assertTrue(line.find(), () -> "no lobbyhub_ready in " + metrics);
        return Double.parseDouble(line.group(1));
    }

    private static final Pattern READY = Pattern.compile("(?m)^lobbyhub_ready(?:\\{[^}]*})? (\\S+)$");

    @Test
    void readinessIsDownAtCapacityAndUpAgainWhenOneLeaves() {
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/q/health/ready").statusCode() == 200);
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("one"), Tokens.valid(Tokens.unique("a")))) {
            JsonObject half = HealthEndpointsTest.check(readiness(200), "connections").getJsonObject("data");
            assertEquals(1.0, readyGauge());
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
                assertEquals(0.0, readyGauge(), "lobbyhub_ready while readiness is DOWN");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> given().get("/q/health/ready").statusCode() == 200);
            JsonObject health = readiness(200);
            assertEquals("UP", health.getString("status"));
            assertEquals(1, HealthEndpointsTest.check(health, "connections").getJsonObject("data").getInteger("connections"));
            assertEquals(1.0, readyGauge(), "lobbyhub_ready once UP again");
        }
    }
}
