package dev.lobbyhub.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/** SIGTERM to the packaged service, as Kubernetes sends it, seen from the clients and the probes. */
class GracefulDrainIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void sigtermDrainsEveryConnectionWithAHintThenExits() throws Exception {
        Map<String, String> env = Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET,
                "LOBBYHUB_SHUTDOWN_DRAIN_PERIOD", "2s", "QUARKUS_SHUTDOWN_DELAY", "4s");
        try (PackagedApp app = PackagedApp.start(env)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> status(app.base().resolve("q/health/ready")) == 200);
            String lobby = Tokens.unique("drain");
            List<TestSocket> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.add(TestSocket.joinWelcomed(app.base(), lobby, Tokens.valid(Tokens.unique("p"))));
            }
            long terminatedAt = System.currentTimeMillis();
            app.terminate();

            // During the shutdown delay: not ready, and newcomers are told to come back later.
            Awaitility.await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> status(app.base().resolve("q/health/ready")) == 503);
            try (TestSocket late = TestSocket.join(app.base(), lobby, Tokens.valid(Tokens.unique("late")))) {
                late.expectRejected(1012, "server_shutdown");
            }

            for (TestSocket client : clients) {
                JsonObject shutdown = client.expectSkipping("server_shutdown",
                        frame -> frame.getString("type").startsWith("member_"));
                long hint = shutdown.getLong("reconnect_after_ms");
                assertTrue(hint >= 1000 && hint <= 3000, "reconnect_after_ms " + hint);
                // The close reason repeats the hint, for a client that does not read frames (SPEC §14).
                assertEquals(new TestSocket.Close(1012, "server_shutdown:" + hint), client.awaitClose());
            }
            long drained = System.currentTimeMillis() - terminatedAt;
            assertTrue(drained >= 1500, "drain began before routers had time to notice: " + drained + " ms");
            app.awaitExit(Duration.ofSeconds(30));
            String log = app.output();
            assertTrue(log.contains("shutdown: draining 5 connections"), log);
        }
    }

    private static int status(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }
}
