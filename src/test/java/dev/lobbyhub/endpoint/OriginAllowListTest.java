package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** SPEC §1: with {@code allowed-origins} set, a browser page from elsewhere is closed 4003 before any other check. */
@QuarkusTest
@TestProfile(OriginAllowListTest.GameOrigins.class)
class OriginAllowListTest {

    public static class GameOrigins implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.allowed-origins", "https://game.example.com,https://*.studio.test");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void pageFromAnotherOriginIsClosed4003() throws Exception {
        assertEquals(new TestSocket.Close(4003, "origin_not_allowed"),
                closeFor("https://evil.test", "/ws/" + Tokens.unique("lobby") + "?token=" + Tokens.valid(Tokens.unique("u"))));
    }

    @Test
    void originIsCheckedBeforeTheLobbyCodeAndTheToken() throws Exception {
        assertEquals(new TestSocket.Close(4003, "origin_not_allowed"), closeFor("https://evil.test", "/ws/bad!lobby?token=x"));
    }

    @Test
    void listedOriginsAndSubdomainsOfAWildcardConnect() throws Exception {
        for (String origin : new String[] { "https://game.example.com", "https://eu.play.studio.test" }) {
            try (RawWebSocket raw = RawWebSocket.connect(base, path(), "Origin: " + origin + "\r\n")) {
                assertTrue(raw.nextText().contains("\"welcome\""), origin);
            }
        }
    }

    @Test
    void clientsWithoutAnOriginHeaderAreNotBrowsersAndConnect() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(base, path())) {
            assertTrue(raw.nextText().contains("\"welcome\""));
        }
    }

    private static String path() {
        return "/ws/" + Tokens.unique("lobby") + "?token=" + Tokens.valid(Tokens.unique("u"));
    }

    private TestSocket.Close closeFor(String origin, String path) throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(base, path, "Origin: " + origin + "\r\n")) {
            return raw.awaitClose();
        }
    }
}
