package dev.lobbyhub.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class DevTokenResourceTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void mintedTokenConnects() {
        String user = Tokens.unique("dev");
        String token = given().queryParam("user", user).queryParam("name", "Dev Player").get("/dev/token")
                .then().statusCode(200).body("user_id", equalTo(user)).extract().path("token");
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), token)) {
            assertEquals(user, socket.expect("welcome").getString("user_id"));
        }
    }

    @Test
    void tokenMintedForALobbyIsForbiddenElsewhere() {
        String lobby = Tokens.unique("mine");
        String token = given().queryParam("user", Tokens.unique("dev")).queryParam("lobby", lobby).get("/dev/token")
                .then().statusCode(200).extract().path("token");
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("theirs"), token)) {
            socket.expectRejected(4003, "forbidden");
        }
    }

    @Test
    void missingUserIsABadRequest() {
        given().get("/dev/token").then().statusCode(400).body("error", equalTo("invalid_user"));
    }

    @Test
    void invalidLobbyIsABadRequest() {
        given().queryParam("user", "u").queryParam("lobby", "no spaces").get("/dev/token")
                .then().statusCode(400).body("error", equalTo("invalid_lobby"));
    }
}
