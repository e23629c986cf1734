package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static dev.lobbyhub.admin.AdminQueriesTest.error;
import static dev.lobbyhub.admin.AdminQueriesTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §7: admin ping ({@code alive}, {@code latency_ms}) and kick (4006 {@code kicked}). */
@QuarkusTest
public class AdminPingKickTest {

    @TestHTTPResource("/")
    URI base;

    // ---- ping ----

    @Test
    void pingOfAnAnsweringClientIsAliveWithLatency() {
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("ping"), Tokens.valid(alice))) {
            JsonObject answer = ok(admin().post("/api/v1/users/{id}/ping", alice));
            assertEquals(Set.of("alive", "latency_ms"), answer.fieldNames());
            assertEquals(true, answer.getBoolean("alive"));
            Object latency = answer.getValue("latency_ms");
            assertTrue(latency instanceof Integer || latency instanceof Long, () -> "latency_ms " + latency);
            assertTrue(((Number) latency).longValue() >= 0);
            assertTrue(((Number) latency).longValue() < 2000, "answered within the default timeout");
        }
    }

    @Test
    void pingOfAClientThatDoesNotAnswerIsNotAliveWithNullLatency() {
        String hung = Tokens.unique("hung");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("ping"), Tokens.valid(hung))
                .stopAnsweringPings()) {
            long started = System.nanoTime();
            JsonObject answer = ok(admin().queryParam("timeout_ms", 300).post("/api/v1/users/{id}/ping", hung));
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertEquals(false, answer.getBoolean("alive"));
            assertTrue(answer.containsKey("latency_ms"), () -> "latency_ms must be present (null): " + answer);
            assertNull(answer.getValue("latency_ms"));
            assertTrue(tookMs >= 250, () -> "answered after " + tookMs + " ms, before the 300 ms timeout");
        }
    }

    @Test
    void pingOfUnknownUserIs404() {
        error(admin().post("/api/v1/users/{id}/ping", Tokens.unique("ghost")), 404);
    }

    @Test
    void pingWithTimeoutZeroIs400() {
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("ping"), Tokens.valid(alice))) {
            error(admin().queryParam("timeout_ms", 0).post("/api/v1/users/{id}/ping", alice), 400);
            error(admin().queryParam("timeout_ms", "abc").post("/api/v1/users/{id}/ping", alice), 400);
            error(admin().queryParam("timeout_ms", -5).post("/api/v1/users/{id}/ping", alice), 400);
        }
    }

    // ---- kick ----

    @Test
    void kickClosesWith4006KickedAndTellsTheLobby() {
        String lobby = Tokens.unique("kick");
        String victim = Tokens.unique("victim");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket v = TestSocket.joinWelcomed(base, lobby, Tokens.valid(victim))) {
            a.expect("member_joined");
            Response response = admin().delete("/api/v1/users/{id}/connection", victim);
            assertEquals(204, response.statusCode(), response::asString);
            assertEquals("", response.asString());
            assertEquals(new TestSocket.Close(4006, "kicked"), v.awaitClose());
            JsonObject left = a.expect("member_left");
            assertEquals(victim, left.getString("user_id"));
            assertEquals("kicked", left.getString("reason"));

            error(admin().delete("/api/v1/users/{id}/connection", victim), 404);
            JsonObject user = ok(admin().get("/api/v1/users/{id}", victim));
            assertEquals(false, user.getBoolean("connected"));
            assertEquals(Set.of("user_id", "connected"), user.fieldNames());
        }
    }

    @Test
    void kickOfUnknownUserIs404() {
        error(admin().delete("/api/v1/users/{id}/connection", Tokens.unique("ghost")), 404);
    }
}
