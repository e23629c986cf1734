package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.core.json.JsonObject;

/** SPEC §5/§7: with {@code lobbyhub.api.key} unset, every admin request gets 403 {@code admin_api_disabled}. */
@QuarkusTest
@TestProfile(AdminApiDisabledTest.NoApiKey.class)
class AdminApiDisabledTest {

    /** An empty value unsets the key: SmallRye Config treats "" as no value, so the Optional is empty. */
    public static class NoApiKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.api.key", "");
        }
    }

    private static void assertDisabled(Response response) {
        assertEquals(403, response.statusCode(), response::asString);
        JsonObject body = new JsonObject(response.asString());
        assertEquals("admin_api_disabled", body.getString("error"));
        assertFalse(body.getString("message", "").isBlank());
    }

    @Test
    void everyAdminRequestIs403AdminApiDisabledEvenWithABearer() {
        for (String bearer : new String[] { null, "test-admin-key", "anything" }) {
            for (RequestCall call : List.<RequestCall> of(
                    spec -> spec.get("/api/v1/stats"),
                    spec -> spec.get("/api/v1/lobbies"),
                    spec -> spec.get("/api/v1/lobbies/somewhere"),
                    spec -> spec.get("/api/v1/users/someone"),
                    spec -> spec.contentType("application/json").body("{\"data\":1}").post("/api/v1/lobbies/l/messages"),
                    spec -> spec.contentType("application/json").body("{\"data\":1}").post("/api/v1/users/u/messages"),
                    spec -> spec.post("/api/v1/users/someone/ping"),
                    spec -> spec.delete("/api/v1/users/someone/connection"))) {
                RequestSpecification spec = bearer == null ? given() : given().header("Authorization", "Bearer " + bearer);
                assertDisabled(call.send(spec));
            }
        }
    }

    @FunctionalInterface
    interface RequestCall {
        Response send(RequestSpecification spec);
    }
}
