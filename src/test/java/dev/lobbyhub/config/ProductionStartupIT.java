package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.Tokens;

/** The packaged service in the prod profile: what an operator sees on first start. */
class ProductionStartupIT {

    @Test
    void withoutAKeyStartupStopsWithOneLineNamingTheVariable() throws Exception {
        try (PackagedApp app = PackagedApp.start(Map.of())) {
            assertNotEquals(0, app.awaitExit(Duration.ofSeconds(60)));
            String log = app.output();
            long lines = log.lines().filter(line -> line.contains("LOBBYHUB_AUTH_JWT_SECRET")).count();
            assertTrue(lines >= 1, log);
        }
    }

    @Test
    void invalidValueStopsStartupNamingTheKey() throws Exception {
        try (PackagedApp app = PackagedApp.start(Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET,
                "LOBBYHUB_LIMITS_MAX_PER_LOBBY", "0"))) {
            assertNotEquals(0, app.awaitExit(Duration.ofSeconds(60)));
            assertTrue(app.output().contains("lobbyhub.limits.max-per-lobby"), app.output());
        }
    }

    @Test
    void devTokenEndpointDoesNotExistInProduction() throws Exception {
        try (PackagedApp app = PackagedApp.start(Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET))) {
            HttpClient http = HttpClient.newHttpClient();
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(app.base().resolve("q/health/live")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
            int status = http.send(HttpRequest.newBuilder(app.base().resolve("dev/token?user=x")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            assertEquals(404, status);
        }
    }
}
