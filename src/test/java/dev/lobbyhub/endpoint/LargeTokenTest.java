package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** SPEC §1: tokens up to 8 KB are accepted in the query (browsers) and in the header (other clients). */
@QuarkusTest
class LargeTokenTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void eightKilobyteTokenConnectsThroughTheQuery() throws Exception {
        String lobby = Tokens.unique("big-token");
        String token = tokenOfAbout8Kb(lobby);
        try (TestSocket player = TestSocket.join(base, lobby, token)) {
            assertEquals(lobby, player.expect("welcome").getString("lobby"));
        }
    }

    @Test
    void eightKilobyteTokenConnectsThroughTheHeader() throws Exception {
        String lobby = Tokens.unique("big-token");
        try (RawWebSocket raw = RawWebSocket.connect(base, "/ws/" + lobby,
                "Authorization: Bearer " + tokenOfAbout8Kb(lobby) + "\r\n")) {
            assertTrue(raw.nextText().contains("\"welcome\""));
        }
    }

    /** A token whose {@code lobbies} claim lists this lobby among many others, about 8,000 bytes in all. */
    private static String tokenOfAbout8Kb(String lobby) {
        List<String> lobbies = new ArrayList<>();
        lobbies.add(lobby);
        for (int i = 0; i < 270; i++) {
            lobbies.add("tournament-room-" + i);
        }
        String token = Tokens.forLobbies(Tokens.unique("collector"), lobbies);
        assertTrue(token.length() > 7_500 && token.length() <= 8_192, "token of " + token.length() + " bytes");
        return token;
    }
}
