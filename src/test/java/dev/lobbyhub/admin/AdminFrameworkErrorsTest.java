package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static dev.lobbyhub.admin.AdminQueriesTest.error;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * SPEC §7: errors the HTTP layer produces under {@code /api} (unknown path, wrong method, unacceptable Accept) keep
 * the {@code {"error", "message"}} shape, and come only after the key check: without the key, every one is a 401.
 */
@QuarkusTest
class AdminFrameworkErrorsTest {

    private static String errorCode(Response response, int status) {
        assertTrue(response.contentType().startsWith("application/json"), response.contentType());
        return error(response, status).getString("error");
    }

    @Test
    void unknownPathIs404WithTheKeyAnd401Without() {
        assertEquals("not_found", errorCode(admin().get("/api/v1/nothing/here"), 404));
        assertEquals("not_found", errorCode(admin().get("/api/v2/stats"), 404));
        assertEquals("not_found", errorCode(admin().get("/api/v1"), 404));
        assertEquals("unauthorized", errorCode(given().get("/api/v1/nothing/here"), 401));
    }

    @Test
    void wrongMethodIs405WithTheKeyAnd401Without() {
        assertEquals("method_not_allowed", errorCode(admin().delete("/api/v1/stats"), 405));
        assertEquals("method_not_allowed", errorCode(admin().put("/api/v1/users/{id}/ping", "someone"), 405));
        Response anonymous = given().delete("/api/v1/stats");
        assertEquals("unauthorized", errorCode(anonymous, 401));
        assertEquals(null, anonymous.header("Allow"), "no hint at the methods before the key");
    }

    @Test
    void unacceptableAcceptIs406WithTheKeyAnd401Without() {
        assertEquals("not_acceptable", errorCode(admin().accept("text/html").get("/api/v1/stats"), 406));
        assertEquals("unauthorized", errorCode(given().accept("text/html").get("/api/v1/stats"), 401));
    }

    @Test
    void optionsNeedsTheKeyToo() {
        assertEquals("unauthorized", errorCode(given().options("/api/v1/stats"), 401));
        assertEquals(200, admin().options("/api/v1/stats").statusCode());
    }
}
