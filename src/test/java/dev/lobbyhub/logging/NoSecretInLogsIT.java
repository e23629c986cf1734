package dev.lobbyhub.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.RawHttp;
import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;

/**
 * SPEC §8: no log line holds a token or an admin key, whichever component writes it, and a
 * misbehaving client causes no ERROR line and no stack trace. The packaged service runs with every
 * logger at DEBUG, the access log and WebSocket traffic logging on, and is driven through every
 * failure path of the HTTP layer found so far; then its whole output is searched.
 */
class NoSecretInLogsIT {

    private static final String ADMIN_KEY = "admin-key-that-must-never-be-logged";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void failingRequestsNeverLogTheirTokenOrKey() throws Exception {
        String token = Tokens.valid("secret-holder");
        String signature = token.substring(token.lastIndexOf('.') + 1);
        String claims = token.split("\\.")[1];
        Map<String, String> env = Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET, "LOBBYHUB_API_KEY", ADMIN_KEY,
                "QUARKUS_LOG_LEVEL", "DEBUG",
                "QUARKUS_HTTP_ACCESS_LOG_ENABLED", "true",
                "QUARKUS_WEBSOCKETS_NEXT_SERVER_TRAFFIC_LOGGING_ENABLED", "true");
        try (PackagedApp app = PackagedApp.start(env)) {
            URI base = app.base();
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> HTTP.send(HttpRequest.newBuilder(base.resolve("q/health/ready")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            String ws = "/ws/lobby1?token=" + token;
            String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
            String host = "Host: 127.0.0.1\r\n";

            // The request that once put a token into an ERROR line: no Host header.
            String noHost = RawHttp.exchange(base, "GET " + ws + " HTTP/1.1\r\nConnection: close\r\n" + upgrade + "\r\n", 10_000);
            assertEquals(400, RawHttp.status(noHost), noHost);
            assertTrue(noHost.contains("\"error\":\"bad_request\""), noHost);

            List<String> requests = List.of(
                    "GET " + ws + " HTTP/1.1\r\n\r\n",
                    "GET " + ws + " HTTP/1.0\r\n\r\n",
                    "GET " + ws + "%zz HTTP/1.1\r\n" + host + upgrade + "\r\n",
                    "GET /ws/lob%zzby?token=" + token + " HTTP/1.1\r\n" + host + upgrade + "\r\n",
                    "GET " + ws + "&pad=" + "p".repeat(20_000) + " HTTP/1.1\r\n" + host + "\r\n",
                    "GET " + ws + " HTTP/1.1\r\n" + host + "Authorization: Bearer " + token + "x".repeat(30_000) + "\r\n\r\n",
                    "GET " + ws + " HTTP/1.1\r\nHost: a b c\r\n" + upgrade + "\r\n",
                    "GET " + ws + " HTTP/1.1\r\nHost: [::1\r\n\r\n",
                    "POST " + ws + " HTTP/1.1\r\n" + host + "Content-Length: 3\r\n\r\nabc",
                    "GET " + ws + " HTTP/1.1\r\n" + host + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Version: 99\r\n\r\n",
                    "GET /ws/bad!lobby?token=" + token + " HTTP/1.1\r\n" + host + upgrade + "\r\n",
                    "GARBAGE " + ws + " HTTP/1.1\r\n" + host + "\r\n",
                    "GET " + ws + " HTTP/9.9\r\n" + host + "\r\n",
                    "GET /q/health?token=" + token + " HTTP/1.1\r\n" + host + "Authorization: Bearer " + ADMIN_KEY
                            + "\r\nConnection: close\r\n\r\n",
                    "GET /api/v1/stats?token=" + token + " HTTP/1.1\r\n" + host + "Authorization: Bearer " + ADMIN_KEY
                            + "x\r\nConnection: close\r\n\r\n",
                    "GET /api/v1/users/u1 HTTP/1.1\r\n" + host + "Authorization: Bearer " + ADMIN_KEY
                            + "\r\nConnection: close\r\n\r\n",
                    "GET /nothing/here?token=" + token + " HTTP/1.1\r\n" + host + "Authorization: " + token
                            + "\r\nConnection: close\r\n\r\n");
            for (String request : requests) {
                RawHttp.exchange(base, request);
            }
            // And the ordinary life of a connection, with the token in the query and in the header.
            try (TestSocket player = TestSocket.joinWelcomed(base, "lobby1", token)) {
                player.send("{\"type\":\"ping\",\"id\":\"p\"}");
                player.expect("pong");
            }
            try (RawWebSocket bearer = RawWebSocket.connect(base, "/ws/lobby2",
                    "Authorization: Bearer " + Tokens.valid("header-holder") + "\r\n")) {
                assertTrue(bearer.nextText().contains("welcome"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> app.output().contains("close user=secret-holder"));

            String log = app.output();
            assertTrue(log.contains(" DEBUG "), "the run logged at DEBUG");
            assertFalse(log.contains(signature), () -> "a token's signature reached the log:\n" + around(log, signature));
            assertFalse(log.contains(claims), () -> "a token's claims reached the log:\n" + around(log, claims));
            assertFalse(log.contains(ADMIN_KEY), () -> "the admin key reached the log:\n" + around(log, ADMIN_KEY));
            assertTrue(log.contains("\"GET /ws/lobby1 HTTP/1.0\" 404"), "the access log names the path");
            assertFalse(log.lines().anyMatch(line -> line.contains("access-log") && line.contains("token=")),
                    "the access log writes no query string");
            assertFalse(log.contains(" ERROR "), () -> "a client's request caused an ERROR line:\n" + around(log, " ERROR "));
        }
    }

    /** A few lines around the first occurrence, for the failure message. */
    private static String around(String log, String needle) {
        int at = log.indexOf(needle);
        return at < 0 ? "" : log.substring(Math.max(0, at - 600), Math.min(log.length(), at + 400));
    }
}
