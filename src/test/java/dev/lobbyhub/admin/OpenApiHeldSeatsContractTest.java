package dev.lobbyhub.admin;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.HeldSeats;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The OpenAPI document against a server that holds seats (SPEC §10): every contract check again,
 * and the answers about an away member (its line in a lobby, its status, a message logged for it).
 */
@QuarkusTest
@TestProfile(HeldSeats.class)
class OpenApiHeldSeatsContractTest extends OpenApiContractTest {

    @Test
    void answersAboutAnAwayMember() {
        String lobby = Tokens.unique("oa-held");
        String user = Tokens.unique("oa-away");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("oa-w")))) {
            TestSocket.joinWelcomed(base, lobby, Tokens.valid(user)).abort();
            watcher.expect("member_joined");
            watcher.expect("member_away");

            assertEquals(200, admin("get", "/api/v1/lobbies/{code}", given(), "/api/v1/lobbies/" + lobby).statusCode());
            assertEquals(true, admin("get", "/api/v1/users/{id}", given(), "/api/v1/users/" + user).jsonPath()
                    .getBoolean("away"));
            assertEquals(true, admin("post", "/api/v1/users/{id}/messages", json("{\"data\": 1}"),
                    "/api/v1/users/" + user + "/messages").jsonPath().getBoolean("away"));
            assertEquals(204, admin("delete", "/api/v1/users/{id}/connection", given(),
                    "/api/v1/users/" + user + "/connection").statusCode());
        }
    }
}
