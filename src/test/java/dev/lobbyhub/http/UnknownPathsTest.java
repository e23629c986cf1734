package dev.lobbyhub.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** Paths nobody serves answer 404 in the JSON error shape; served paths are untouched. */
@QuarkusTest
class UnknownPathsTest {

    @Test
    void anUnknownPathAnswersJsonNotFound() {
        given().accept("text/html").get("/no/such/page").then().statusCode(404)
                .contentType(startsWith("application/json")).body("error", equalTo("not_found"));
        given().post("/lobbies-typo").then().statusCode(404).body("error", equalTo("not_found"));
    }

    @Test
    void servedPathsStillAnswer() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/lobbyhub-client.js").then().statusCode(200).contentType(startsWith("text/javascript"));
    }
}
