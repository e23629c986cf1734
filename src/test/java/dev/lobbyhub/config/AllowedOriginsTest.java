package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class AllowedOriginsTest {

    private final AllowedOrigins origins = AllowedOrigins
            .of(Optional.of(List.of("https://game.example.com", "http://localhost:5173", "https://*.studio.io")));

    @Test
    void unsetAllowsEveryOrigin() {
        assertTrue(AllowedOrigins.of(Optional.empty()).allows("https://anything.test"));
    }

    @Test
    void aHandshakeWithoutOriginIsNotABrowserAndIsAllowed() {
        assertTrue(origins.allows(null));
    }

    @Test
    void exactOriginsMatchWithTheirPortAndIgnoringCase() {
        assertTrue(origins.allows("https://game.example.com"));
        assertTrue(origins.allows("HTTPS://Game.Example.com"));
        assertTrue(origins.allows("http://localhost:5173"));
        assertFalse(origins.allows("http://localhost:5174"));
        assertFalse(origins.allows("http://game.example.com"));
        assertFalse(origins.allows("https://game.example.com.evil.test"));
        assertFalse(origins.allows("null"));
    }

    @Test
    void wildcardsMatchSubdomainsOnly() {
        assertTrue(origins.allows("https://a.studio.io"));
        assertTrue(origins.allows("https://eu.play.studio.io"));
        assertFalse(origins.allows("https://studio.io"));
        assertFalse(origins.allows("https://evilstudio.io"));
        assertFalse(origins.allows("https://a.studio.io.evil.test"));
        assertFalse(origins.allows("http://a.studio.io"));
        assertFalse(origins.allows("https://a.studio.io:8443"));
        assertFalse(origins.allows("https://x/y.studio.io"));
    }

    @Test
    void entriesThatAreNotOriginsAreReportedAtStartup() {
        assertEquals(List.of("game.example.com", "https://game.example.com/", "*", "https://*"),
                AllowedOrigins.invalidEntries(Optional.of(List.of("https://ok.example.com", "game.example.com",
                        "https://game.example.com/", "*", "https://*", "https://*.ok.io:8080"))));
    }
}
