package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.Tokens;

/**
 * A rolling restart as a player sees it: the packaged service drains on SIGTERM, a new one starts
 * on the same port, and the tab comes back on its own, no sooner than the server's hint.
 */
class BrowserDrainIT {

    private static final Map<String, String> ENV = Map.of("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET,
            "LOBBYHUB_DEMO_ENABLED", "true", "LOBBYHUB_SHUTDOWN_DRAIN_PERIOD", "1s", "QUARKUS_SHUTDOWN_DELAY", "2s");

    @Test
    void tabReconnectsAfterTheHintedDelayWhenTheServerRestarts() throws Exception {
        String user = Tokens.unique("player");
        String token = Tokens.valid(user);
        int port = PackagedApp.freePort();
        try (Browser tab = Browser.open()) {
            try (PackagedApp first = PackagedApp.start(ENV, port)) {
                awaitUp(tab, first);
                tab.get(first.base() + "?user=" + user + "&lobby=restart&token="
                        + URLEncoder.encode(token, StandardCharsets.UTF_8)).awaitState("open");
                tab.script("window.__events = []; const record = (name) => (e) => window.__events.push([name, Date.now(),"
                        + " e.reconnect_after_ms || 0]); window.lobby.on('server_shutdown', record('shutdown'));"
                        + " window.lobby.on('welcome', record('welcome'));");
                first.terminate();
                tab.awaitText(By.id("log"), "server_shutdown");
                tab.awaitText(By.id("state"), "1012 server_shutdown");
                first.awaitExit(Duration.ofSeconds(30));
            }
            try (PackagedApp second = PackagedApp.start(ENV, port)) {
                // Wide: the tab's attempts while no server listened back off exponentially (up to 30 s),
                // so the one after this server is up may come late on a slow machine.
                tab.await(Duration.ofSeconds(90), d -> ((List<?>) tab.script("return window.__events;")).size() >= 2);
                tab.awaitState("open");
                @SuppressWarnings("unchecked")
                List<List<Object>> events = (List<List<Object>>) tab.script("return window.__events;");
                assertEquals("shutdown", events.get(0).get(0));
                assertEquals("welcome", events.get(1).get(0));
                long hint = ((Number) events.get(0).get(2)).longValue();
                long waited = ((Number) events.get(1).get(1)).longValue() - ((Number) events.get(0).get(1)).longValue();
                assertTrue(hint >= 1000, "hint " + hint);
                assertTrue(waited >= hint, "reconnected after " + waited + " ms, hint was " + hint + " ms");
            }
        }
    }

    private static void awaitUp(Browser tab, PackagedApp app) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            var http = java.net.http.HttpClient.newHttpClient();
            return http.send(java.net.http.HttpRequest.newBuilder(app.base().resolve("q/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        });
    }
}
