package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/**
 * A game served from its own origin (here a plain HTTP server on another host name and port, as a Vite dev
 * server on :5173 would be) imports the client from lobbyhub, fetches a dev token from lobbyhub and plays, in
 * Chromium, which enforces CORS on module scripts and on fetch.
 */
@QuarkusTest
class CrossOriginImportTest {

    @TestHTTPResource("/")
    URI lobbyhub;

    private HttpServer game;

    @BeforeEach
    void startGameSite() throws IOException {
        game = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        game.createContext("/", exchange -> {
            byte[] page = gamePage().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().equals("/") ? 200 : 404, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        game.start();
    }

    @AfterEach
    void stopGameSite() {
        game.stop(0);
    }

    /** What the README's quick start tells a game developer to write, with lobbyhub's address filled in. */
    private String gamePage() {
        String server = "http://localhost:" + lobbyhub.getPort();
        return """
                <!doctype html><meta charset="utf-8"><title>a game</title>
                <script type="module">
                const params = new URLSearchParams(location.search);
                window.events = [];
                try {
                  const { LobbyClient } = await import('%1$s/lobbyhub-client.js');
                  const client = new LobbyClient({
                    url: '%2$s',
                    lobby: params.get('lobby'),
                    token: async () => (await (await fetch('%1$s/dev/token?user=' + params.get('user'))).json()).token,
                  });
                  window.client = client;
                  client.on('token_error', (e) => window.events.push('token_error ' + e.error));
                  client.on('lobby_message', (m) => {
                    window.events.push('got ' + m.data.move);
                    client.sendLobby({ move: m.data.move + 1 });
                  });
                  client.connect();
                } catch (e) {
                  window.events.push('import failed ' + e);
                }
                </script>
                """.formatted(server, "ws://localhost:" + lobbyhub.getPort());
    }

    @Test
    void gameOnAnotherOriginImportsTheClientAndPlays() {
        String lobby = Tokens.unique("cors");
        String player = Tokens.unique("player");
        String gameOrigin = "http://127.0.0.1:" + game.getAddress().getPort();
        assertNotEquals(gameOrigin, "http://localhost:" + lobbyhub.getPort());
        try (TestSocket peer = TestSocket.joinWelcomed(lobbyhub, lobby, Tokens.valid(Tokens.unique("peer")));
                Browser browser = Browser.open()) {
            browser.get(gameOrigin + "/?lobby=" + lobby + "&user=" + player);
            browser.await(d -> "open".equals(browser.script("return window.client && window.client.state;"))
                    || !((List<?>) browser.script("return window.events || [];")).isEmpty());
            assertEquals(List.of(), browser.script("return window.events;"));
            assertEquals(player, peer.expect("member_joined").getString("user_id"));

            peer.send(new JsonObject().put("type", "lobby_message").put("data", new JsonObject().put("move", 41)));
            JsonObject answer = peer.expect("lobby_message");
            assertEquals(player, answer.getString("from"));
            assertEquals(42, answer.getJsonObject("data").getInteger("move"));
            assertEquals(List.of("got 41"), browser.script("return window.events;"));
        }
    }

    /**
     * Quick join and the lobby directory from the game's origin: the client finds lobbyhub's HTTP address from
     * its WebSocket {@code url}, and CORS (preflight included, for the Authorization header) lets the game read
     * answers and refusals alike.
     */
    @Test
    void gameOnAnotherOriginQuickJoinsAndListsLobbies() {
        String mode = Tokens.unique("mode");
        String player = Tokens.unique("finder");
        String gameOrigin = "http://127.0.0.1:" + game.getAddress().getPort();
        try (Browser browser = Browser.open()) {
            browser.get(gameOrigin + "/find"); // any page of the game's origin
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) browser.asyncScript(
                    "const args = arguments; const done = args[args.length - 1]; (async () => {"
                            + "const m = await import(args[0] + '/lobbyhub-client.js');"
                            + "const c = new m.LobbyClient({url: args[1], token: args[2]});"
                            + "const placed = await c.quickJoin({mode: args[3]});"
                            + "const page = await c.listLobbies({properties: {mode: args[3]}});"
                            + "let refusal = null; try { await c.listLobbies({limit: 1000}); } catch (e) {"
                            + " refusal = {typed: e instanceof m.LobbyhubHttpError, status: e.status, code: e.code}; }"
                            + "const welcomed = new Promise(resolve => c.on('welcome', resolve)); c.connect();"
                            + "const w = await welcomed; c.close();"
                            + "done({placed, codes: page.lobbies.map(l => l.code), refusal, welcomed: w.lobby,"
                            + " origin: location.origin});"
                            + "})().catch(e => done('failed: ' + e));",
                    "http://localhost:" + lobbyhub.getPort(), "ws://localhost:" + lobbyhub.getPort(), Tokens.valid(player), mode);
            assertEquals(gameOrigin, result.get("origin"), result::toString);
            @SuppressWarnings("unchecked")
            Map<String, Object> placed = (Map<String, Object>) result.get("placed");
            assertEquals(true, placed.get("created"), result::toString);
            assertEquals(List.of(placed.get("lobby")), result.get("codes"));
            assertEquals(Map.of("typed", true, "status", 400L, "code", "invalid_limit"), result.get("refusal"));
            assertEquals(placed.get("lobby"), result.get("welcomed"));
        }
    }
}
