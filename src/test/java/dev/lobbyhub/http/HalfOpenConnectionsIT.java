package dev.lobbyhub.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.Tokens;

/**
 * SPEC §8: a connection that is not yet a WebSocket is closed when it stalls, so half-open requests
 * cannot hold file descriptors; an open WebSocket is governed by pings and the stale sweep only.
 * The packaged service runs with a 2 s HTTP idle timeout (10 s by default) and pings far apart.
 */
class HalfOpenConnectionsIT {

    private static PackagedApp app;

    @BeforeAll
    static void start() throws Exception {
        app = PackagedApp.start(Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET, "QUARKUS_HTTP_IDLE_TIMEOUT", "2s",
                "LOBBYHUB_HEALTH_PING_INTERVAL", "20s", "LOBBYHUB_HEALTH_STALE_AFTER", "60s"));
        HttpClient http = HttpClient.newHttpClient();
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(app.base().resolve("q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void requestWithIncompleteHeadersIsClosed() throws Exception {
        URI base = app.base();
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.getOutputStream().write("GET /ws/lobby1?token=x HTTP/1.1\r\nHost: 127.0".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.setSoTimeout(30_000); // wide: only "closed at all, and not after half an hour" matters
            InputStream in = socket.getInputStream();
            int read;
            try {
                read = in.read();
            } catch (java.net.SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "the server closed the stalled request");
        }
    }

    @Test
    void silentWebSocketOutlivesTheHttpIdleTimeout() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(app.base(), "/ws/" + Tokens.unique("quiet") + "?token="
                + Tokens.valid(Tokens.unique("quiet")))) {
            assertTrue(raw.nextText().contains("\"welcome\""));
            // Nothing is sent either way for three idle timeouts; a health_ping may arrive and is not answered.
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            raw.readTimeout(Duration.ofSeconds(1));
            while (System.nanoTime() < until) {
                try {
                    assertNotEquals(RawWebSocket.CLOSE, raw.readFrame().opcode(), "closed while silent");
                } catch (SocketTimeoutException quiet) {
                    // nothing arrived this second: still open as far as we know
                }
            }
            raw.readTimeout(Duration.ofSeconds(10));
            raw.sendText("{\"type\":\"ping\",\"id\":\"still-open\"}");
            assertTrue(raw.nextText().contains("still-open"));
        }
    }
}
