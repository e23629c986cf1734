package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.emptyOrNullString;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Without {@code lobbyhub.api.key} there is no console: its page and files answer 404 in the error shape. */
@QuarkusTest
@TestProfile(ConsolePageDisabledTest.NoApiKey.class)
class ConsolePageDisabledTest {

    /** An empty value unsets the key (SmallRye Config treats "" as no value). */
    public static class NoApiKey implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.api.key", "");
        }
    }

    @Test
    void theConsoleIsNotServedWithoutAnAdminKey() {
        for (String path : new String[] { "/console/", "/console", "/console/console.js", "/console/console.css" }) {
            given().redirects().follow(false).get(path).then().statusCode(404).contentType("application/json")
                    .header("Content-Security-Policy", nullValue())
                    .body("error", equalTo("not_found"), "message", not(emptyOrNullString()));
        }
        // The demo page is still there: only the console needs the key.
        given().get("/").then().statusCode(200);
    }
}
