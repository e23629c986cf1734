package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * SPEC §14 end to end: the browser client library, in Chromium, is refused by the real server's handshake rate
 * ({@code 1013 server_busy:<ms>}) and waits exactly the server's hint before its next connection attempt, which the
 * server then admits. The node takes one new connection per second, one at a time.
 */
@QuarkusTest
@TestProfile(BrowserHandshakePacingTest.OneHandshakePerSecond.class)
class BrowserHandshakePacingTest {

    public static class OneHandshakePerSecond implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.handshakes-per-second", "1", "lobbyhub.limits.handshake-burst", "1");
        }
    }

    private static final Pattern BUSY = Pattern.compile("server_busy:(\\d+)");
    /** A timer may fire a little before the wait it was set for, measured from the state event. */
    private static final long TIMER_SLACK_MS = 20;
    /** A slow machine may run the timer, or the page, late; that is not what this test is about. */
    private static final long LATE_LIMIT_MS = 10_000;

    /**
     * In the page, once the module is loaded as {@code m}: {@code startPacing(lobby, token)} connects a LobbyClient
     * to this server and records, with {@code performance.now()}, every state event, every connection attempt (a
     * WebSocket the client creates, through {@code WebSocketImpl}) and how each of its sockets closed, in
     * {@code window.pacing}; {@code pacing.finished} is set to the state at which it stopped ({@code open} or
     * {@code closed}).
     */
    private static final String RECORDER = """
            window.startPacing = (lobby, token) => {
              const rec = {states: [], attempts: [], closes: [], finished: null, welcome: null};
              class Recorded extends WebSocket {
                constructor(url) {
                  rec.attempts.push(performance.now());
                  super(url);
                  this.addEventListener('close',
                    (e) => rec.closes.push({at: performance.now(), code: e.code, reason: e.reason}));
                }
              }
              const client = new m.LobbyClient({lobby, token, WebSocketImpl: Recorded});
              client.on('state', (s) => {
                rec.states.push({at: performance.now(), ...s});
                if (rec.finished === null && (s.state === 'open' || s.state === 'closed')) rec.finished = s.state;
              });
              client.on('welcome', (w) => { rec.welcome = {user_id: w.user_id, lobby: w.lobby}; });
              window.pacing = rec;
              window.pacingClient = client;
              client.connect();
            };
            """;

    @TestHTTPResource("/")
    URI base;

    private Browser browser;

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            try {
                browser.script("if (window.pacingClient) window.pacingClient.close();");
            } finally {
                browser.close();
            }
        }
    }

    @Test
    void aClientRefusedServerBusyComesBackExactlyWhenTheServerSaid() {
        String lobby = Tokens.unique("pacing");
        String user = Tokens.unique("p");
        String token = Tokens.valid(user);
        browser = Browser.open();
        browser.get(base + "q/health/live");
        Object loaded = browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "import('/lobbyhub-client.js').then(m => { " + RECORDER + " done('loaded'); })"
                + ".catch(e => done('failed: ' + e));");
        assertEquals("loaded", loaded);

        // Take the bucket's one token (burst 1) from Java: the browser's connection, made right after, comes
        // within the second the bucket needs to refill, and is refused by the server for real.
        long knockedAt = System.nanoTime();
        TestSocket.Close knock;
        try (TestSocket socket = TestSocket.join(base, lobby, "not-a-token")) {
            knock = socket.awaitClose();
        }
        assertTrue(knock.code() == 4001 || (knock.code() == 1013 && BUSY.matcher(knock.reason()).matches()),
                "the knock took the token (4001, its token is bad) or found the bucket empty: " + knock);
        browser.script("startPacing(arguments[0], arguments[1]);", lobby, token);
        long startedAfterMs = Duration.ofNanos(System.nanoTime() - knockedAt).toMillis();

        Map<String, Object> rec = browser.await(Duration.ofSeconds(45), d -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> pacing = (Map<String, Object>) browser.script(
                    "return window.pacing && window.pacing.finished ? window.pacing : null;");
            return pacing;
        });
        String seen = "(browser started " + startedAfterMs + " ms after the knock) " + rec;
        List<Map<String, Object>> states = list(rec.get("states"));
        List<Number> attempts = list(rec.get("attempts"));
        List<Map<String, Object>> closes = list(rec.get("closes"));

        // The first attempt is refused by the server's handshake rate, and the client says how long it waits.
        assertEquals("connecting", states.get(0).get("state"), seen);
        Map<String, Object> reconnecting = states.get(1);
        assertEquals("reconnecting", reconnecting.get("state"), "the first attempt is refused: " + seen);
        assertEquals(1013L, number(reconnecting.get("code")), seen);
        String reason = (String) reconnecting.get("reason");
        Matcher busy = BUSY.matcher(reason == null ? "" : reason);
        assertTrue(busy.matches(), "a server_busy close with a hint: " + seen);
        long hint = Long.parseLong(busy.group(1));
        // With one handshake a second, the server's next return slot is over a second away: a wait the client
        // cannot meet by chance with its own backoff (500 ms at first).
        assertTrue(hint >= 1_000 && hint <= 30_000, "hint " + hint + " ms: " + seen);
        assertEquals((double) hint, decimal(reconnecting.get("retryInMs")), "the client waits exactly the hint: " + seen);
        // It is what the server sent: the socket itself closed 1013 with that reason.
        assertEquals(1013L, number(closes.get(0).get("code")), seen);
        assertEquals(reason, closes.get(0).get("reason"), seen);

        // The next attempt comes once the hint has passed, not before.
        assertTrue(attempts.size() >= 2, "a second attempt: " + seen);
        double waited = attempts.get(1).doubleValue() - decimal(reconnecting.get("at"));
        assertTrue(waited >= hint - TIMER_SLACK_MS, "tried again " + waited + " ms after a hint of " + hint + ": " + seen);
        assertTrue(waited <= hint + LATE_LIMIT_MS, "tried again " + waited + " ms after a hint of " + hint + ": " + seen);

        // The bucket has refilled by then: that attempt is welcomed, and it was the last.
        assertEquals("open", rec.get("finished"), seen);
        assertEquals(2, attempts.size(), "the attempt after the hint is admitted: " + seen);
        assertEquals(1, closes.size(), seen);
        assertEquals(List.of("connecting", "reconnecting", "open"), states.stream().map(s -> s.get("state")).toList(),
                seen);
        assertTrue(decimal(states.get(2).get("at")) >= attempts.get(1).doubleValue(), seen);
        @SuppressWarnings("unchecked")
        Map<String, Object> welcome = (Map<String, Object>) rec.get("welcome");
        assertNotNull(welcome, seen);
        assertEquals(Map.of("user_id", user, "lobby", lobby), welcome, seen);
        assertEquals("open", browser.script("return window.pacingClient.state;"));
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> list(Object value) {
        if (!(value instanceof List)) {
            fail("not a list: " + value);
        }
        return (List<T>) value;
    }

    private static double decimal(Object value) {
        if (!(value instanceof Number n)) {
            throw new AssertionError("not a number: " + value);
        }
        return n.doubleValue();
    }

    private static long number(Object value) {
        double decimal = decimal(value);
        assertEquals(Math.rint(decimal), decimal, () -> "not a whole number: " + value);
        return (long) decimal;
    }
}
