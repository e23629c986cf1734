package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.RedisProxy;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/**
 * Two demo tabs in one lobby; tab A loses its network while tab B chats and paints, then gets it back (SPEC §11).
 *
 * <p>
 * Tab A reaches the server only through a TCP proxy ({@link RedisProxy}, which proxies any TCP server) that can
 * black-hole its connections: nothing passes in either direction and nothing is closed, so neither the browser nor
 * the server notices, as with a network that silently drops every packet. The client's watchdog notices that the
 * health pings stopped, gives the connection up and opens a new one, which the proxy, healed meanwhile, forwards.
 * The server still seats the old connection (it has not yet evicted it as stale), so the new one replaces it (§6)
 * and can resume the lobby log.
 */
@QuarkusTest
@TestProfile(BrowserRecoveryTest.QuickPingsSlowEviction.class)
class BrowserRecoveryTest {

    /**
     * Pings every second as in the other tests, but eviction after 5 s of silence instead of 3 s. The client gives
     * up a connection 2.5 ping intervals after the last ping (2.5 s; {@code silentAfter} in the client); the server
     * evicts it 5 to 6 s after its last frame, which is the pong to that ping. That leaves the reconnect 2.5 s to
     * arrive while the old connection holds the seat. With 3 s it would have half a second minus its backoff
     * (up to 0.5 s): a race. The server's defaults (15 s, 45 s) leave 7.5 s.
     */
    public static class QuickPingsSlowEviction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.health.ping-interval", "1s", "lobbyhub.health.stale-after", "5s");
        }
    }

    /** Records what tab A's client emits, from now on: game messages, recoveries and presence. */
    private static final String RECORD = """
            window.__seen = []; window.__recovered = []; window.__presence = [];
            window.lobby.on('lobby_message', (m) => {
              if (m.data && (m.data.kind === 'chat' || m.data.kind === 'paint')) {
                window.__seen.push({from: m.from, kind: m.data.kind, text: m.data.text ?? null, cell: m.data.cell ?? null,
                  offset: m.offset ?? null, replayed: m.replayed === true});
              }
            });
            window.lobby.on('recovered', (r) => window.__recovered.push(r.recovered));
            window.lobby.on('member_joined', (e) => window.__presence.push('joined ' + e.user_id));
            window.lobby.on('member_left', (e) => window.__presence.push('left ' + e.user_id));
            """;

    /** Tab B's moves, made through the page's own form and board in one go: three chat lines between four strokes. */
    private static final String PLAY = """
            const say = (text) => { document.getElementById('chat-input').value = text;
              document.getElementById('chat-form').requestSubmit(); };
            const paint = (cell) => document.querySelector(`#board [data-cell="${cell}"]`).click();
            paint(11); say('one while you were away'); paint(12); say('two while you were away'); paint(13);
            say('three while you were away'); paint(14);
            """;

    private static final List<String> LINES = List.of("one while you were away", "two while you were away",
            "three while you were away");

    @TestHTTPResource("/")
    URI base;

    private static By member(String user) {
        return By.cssSelector("#members li[data-user='" + user + "']");
    }

    @Test
    void tabCutOffFromTheNetworkGetsWhatItMissedOnceAndInOrder() throws IOException {
        String lobby = Tokens.unique("recovery");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (RedisProxy network = RedisProxy.start(base.getPort()); Browser a = Browser.open();
                Browser b = Browser.open()) {
            joinThroughProxy(a, network, alice, lobby);
            b.get(base + "?user=" + bob + "&lobby=" + lobby).awaitState("open");
            a.await(d -> !d.findElements(member(bob)).isEmpty());
            b.await(d -> !d.findElements(member(alice)).isEmpty());
            String watcherId = Tokens.unique("watcher");
            try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(watcherId))) {
                a.await(d -> !d.findElements(member(watcherId)).isEmpty());
                a.script(RECORD);
                long accepted = network.acceptedConnections();

                network.blackHole();
                b.script(PLAY);
                // All of it is in the lobby's log before tab A can come back: the watcher got it.
                List<JsonObject> moves = movesFrom(watcher, bob, 7);
                network.heal();

                awaitReconnect(a);
                assertEquals(List.of(true), a.script("return window.__recovered;"));
                a.awaitState("open");
                a.await(d -> chatLines(a, bob).size() >= LINES.size());

                @SuppressWarnings("unchecked")
                List<Map<String, Object>> seen = (List<Map<String, Object>>) a.script("return window.__seen;");
                assertEquals(List.of("paint 11", "chat one while you were away", "paint 12",
                        "chat two while you were away", "paint 13", "chat three while you were away", "paint 14"),
                        seen.stream().map(BrowserRecoveryTest::describe).toList(), () -> "tab A emitted " + seen);
                assertEquals(moves.stream().map(BrowserRecoveryTest::describe).toList(),
                        seen.stream().map(BrowserRecoveryTest::describe).toList(), "the lobby's order");
                assertTrue(seen.stream().allMatch(s -> Boolean.TRUE.equals(s.get("replayed")) && bob.equals(s.get("from"))),
                        () -> "each came in the replay after the recovered welcome: " + seen);
                assertEquals(moves.stream().map(m -> m.getLong("offset")).toList(),
                        seen.stream().map(s -> ((Number) s.get("offset")).longValue()).toList(), "original offsets");

                assertEquals(LINES, chatLines(a, bob), "each line once, in order");
                assertEquals(LINES.size(), a.driver().findElements(By.cssSelector("#chat p.replayed")).size());
                String bobsColour = (String) b.script(
                        "return document.querySelector('#board [data-cell=\"11\"]').style.background;");
                assertFalse(bobsColour.isEmpty());
                for (int cell = 11; cell <= 14; cell++) {
                    assertEquals(bobsColour, a.script("return document.querySelector('#board [data-cell=\"' + arguments[0]"
                            + " + '\"]').style.background;", cell), "cell " + cell);
                }
                assertFalse(a.driver().findElement(By.id("notice")).getText().contains("could not be replayed"));
                a.awaitText(By.id("log"), "recovered: what was missed follows");

                // A new connection, through the healed proxy; the old one is still black-holed, and the server
                // replaced it rather than evicting it: nobody saw tab A leave.
                assertTrue(network.acceptedConnections() > accepted);
                assertTrue(network.deadConnections() >= 1);
                assertEquals(List.of(), a.script("return window.__presence;"));
                assertFalse(b.driver().findElement(By.id("log")).getText().contains(alice + " left"));
            }
        }
    }

    /**
     * When the server has freed the seat meanwhile (here: an admin kick the black hole swallowed), the reconnect is a
     * newcomer: not recovered. The page says the chat may be missing lines and copies the board from a member.
     */
    @Test
    void tabThatCouldNotRecoverSaysSoAndCopiesTheBoard() throws IOException {
        String lobby = Tokens.unique("recovery");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (RedisProxy network = RedisProxy.start(base.getPort()); Browser a = Browser.open();
                Browser b = Browser.open()) {
            joinThroughProxy(a, network, alice, lobby);
            b.get(base + "?user=" + bob + "&lobby=" + lobby).awaitState("open");
            a.await(d -> !d.findElements(member(bob)).isEmpty());
            a.script(RECORD);

            network.blackHole();
            b.script(PLAY);
            given().header("Authorization", "Bearer test-admin-key").delete("/api/v1/users/" + alice + "/connection")
                    .then().statusCode(204);
            b.awaitText(By.id("log"), alice + " left (kicked)");
            network.heal();

            awaitReconnect(a);
            assertEquals(List.of(false), a.script("return window.__recovered;"));
            a.awaitText(By.id("notice"), "could not be replayed");
            a.awaitText(By.id("log"), "board copied from " + bob);
            String bobsColour = (String) b.script(
                    "return document.querySelector('#board [data-cell=\"14\"]').style.background;");
            assertEquals(bobsColour, a.script("return document.querySelector('#board [data-cell=\"14\"]').style.background;"));
            // What was said meanwhile is gone, as the notice says.
            assertEquals(List.of(), chatLines(a, bob));
            assertEquals(List.of(), a.script("return window.__seen;"));
            assertEquals("open", a.state());
        }
    }

    /** Waits for tab A's reconnect after the black hole to be welcomed; on failure, says what the tab saw. */
    private static void awaitReconnect(Browser tab) {
        try {
            tab.await(Duration.ofSeconds(20), d -> !((List<?>) tab.script("return window.__recovered;")).isEmpty());
        } catch (TimeoutException e) {
            throw new AssertionError("no reconnect that asked to recover; the tab is " + tab.state() + ", its log:\n"
                    + tab.driver().findElement(By.id("log")).getText(), e);
        }
    }

    /** Opens the demo in {@code tab} through the proxy; the token comes in the address, so no HTTP is needed later. */
    private static void joinThroughProxy(Browser tab, RedisProxy network, String user, String lobby) {
        tab.get("http://127.0.0.1:" + network.port() + "/?user=" + user + "&lobby=" + lobby + "&token="
                + Tokens.valid(user)).awaitState("open");
    }

    /** The next {@code count} chat and paint messages from {@code from} that the watcher receives, in order. */
    private static List<JsonObject> movesFrom(TestSocket watcher, String from, int count) {
        List<JsonObject> moves = new ArrayList<>();
        while (moves.size() < count) {
            JsonObject frame = watcher.next();
            JsonObject data = frame.getValue("data") instanceof JsonObject d ? d : null;
            if ("lobby_message".equals(frame.getString("type")) && from.equals(frame.getString("from")) && data != null
                    && ("chat".equals(data.getString("kind")) || "paint".equals(data.getString("kind")))) {
                moves.add(new JsonObject().put("kind", data.getString("kind")).put("text", data.getString("text"))
                        .put("cell", data.getValue("cell")).put("offset", frame.getValue("offset")));
            }
        }
        return moves;
    }

    private static String describe(Map<String, Object> move) {
        return "chat".equals(move.get("kind")) ? "chat " + move.get("text") : "paint " + move.get("cell");
    }

    private static String describe(JsonObject move) {
        return describe(move.getMap());
    }

    /** The chat lines {@code from} sent, as tab shows them. */
    private static List<String> chatLines(Browser tab, String from) {
        @SuppressWarnings("unchecked")
        List<String> lines = (List<String>) tab.script("return [...document.querySelectorAll('#chat p')]"
                + ".filter(p => p.querySelector('b').textContent === arguments[0])"
                + ".map(p => p.textContent.slice(arguments[0].length + 1));", from);
        return lines;
    }
}
