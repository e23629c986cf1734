package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.testing.Browser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The client library's decisions, run in the browser against the module the server serves, and how it is served. */
@QuarkusTest
class ClientLibraryTest {

    private static Browser browser;

    @TestHTTPResource("/")
    URI base;

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    /**
     * Runs {@code body} with the module as {@code m} in the browser, opened at the first call: the tests that need no
     * browser run without one, the others are skipped and listed when Chromium is missing.
     */
    private Object run(String body) {
        if (browser == null) {
            browser = Browser.open();
        }
        browser.get(base + "q/health/live");
        return browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "import('/lobbyhub-client.js').then(m => { " + body + " }).catch(e => done('failed: ' + e));");
    }

    @Test
    void libraryAndTypesAreServedToAnyOrigin() {
        String etag = given().header("Origin", "http://localhost:5173").get("/lobbyhub-client.js").then()
                .statusCode(200).contentType("text/javascript; charset=utf-8")
                .header("Access-Control-Allow-Origin", "*").header("Cache-Control", "no-cache")
                .header("X-TypeScript-Types", "/lobbyhub-client.d.ts")
                .body(containsString("export class LobbyClient")).extract().header("ETag");
        given().header("Origin", "http://localhost:5173").get("/lobbyhub-client.d.ts").then().statusCode(200)
                .contentType("application/typescript; charset=utf-8").header("Access-Control-Allow-Origin", "*")
                .body(containsString("export class LobbyClient"));
        // Unchanged since the last load: a 304, so a new release is fetched as soon as it is deployed.
        given().header("If-None-Match", etag).get("/lobbyhub-client.js").then().statusCode(304)
                .header("ETag", etag);
        given().header("If-None-Match", "\"an-older-release\"").get("/lobbyhub-client.js").then().statusCode(200);
    }

    @Test
    void devTokensCanBeFetchedFromAnotherOrigin() {
        given().header("Origin", "http://localhost:5173").queryParam("user", "vite").get("/dev/token").then()
                .statusCode(200).header("Access-Control-Allow-Origin", "*");
    }

    @Test
    void closeAdviceIsTheServersCloseCodeTable() {
        @SuppressWarnings("unchecked")
        Map<String, Object> table = (Map<String, Object>) run("done(m.CLOSE_ADVICE);");
        assertEquals(CloseCode.values().length, table.size(), () -> "client table " + table.keySet());
        for (CloseCode close : CloseCode.values()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> advice = (Map<String, Object>) table.get(close.reason());
            assertEquals(close.code(), ((Number) advice.get("code")).intValue(), close.reason());
            assertEquals(close.advice().clientWait(), advice.get("wait"), close.reason());
            @SuppressWarnings("unchecked")
            Map<String, Object> decision = (Map<String, Object>) run("done(m.closeDecision(" + close.code() + ", '"
                    + close.reason() + "'));");
            assertEquals(close.clientShouldRetry(), decision.get("retry"), close.reason());
            assertEquals(close.advice().clientWait(), decision.get("wait"), close.reason());
        }
    }

    @Test
    void failingTokenFunctionIsReportedAndRetried() {
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) run("const states = [];"
                + "const c = new m.LobbyClient({lobby: 'x', backoffBaseMs: 20, backoffMaxMs: 20,"
                + " token: () => Promise.reject(new Error('game backend down'))});"
                + "c.on('state', s => states.push(s));"
                + "const errors = []; c.on('token_error', e => { errors.push(e.error.message + ' ' + typeof e.retryInMs);"
                + " if (errors.length === 3) { c.close(); done({errors, states, lastClose: c.lastClose}); } });"
                + "c.connect();");
        assertEquals(List.of("game backend down number", "game backend down number", "game backend down number"),
                result.get("errors"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> states = (List<Map<String, Object>>) result.get("states");
        assertTrue(states.stream().noneMatch(s -> s.containsKey("code") && !Long.valueOf(1000).equals(s.get("code"))),
                () -> "a token failure is not a close: " + states);
        assertTrue(states.stream().anyMatch(s -> "reconnecting".equals(s.get("state"))), states::toString);
        assertEquals(null, result.get("lastClose"));
    }

    @Test
    void closeCodesThatMustNotBeRetried() {
        @SuppressWarnings("unchecked")
        Map<String, Object> decisions = (Map<String, Object>) run(
                "const codes = [[1000,'normal'],[1009,'message_too_big'],[4000,'invalid_lobby'],[4003,'forbidden'],"
                        + "[4005,'replaced'],[4006,'kicked'],[4011,'duplicate_session'],[4002,'lobby_full']];"
                        + "const out = {}; for (const [c, r] of codes) out[c + r] = m.closeDecision(c, r).retry; done(out);");
        assertEquals(8, decisions.size());
        decisions.forEach((code, retry) -> assertEquals(false, retry, code));
    }

    @Test
    void closeCodesThatAreRetriedAndHow() {
        @SuppressWarnings("unchecked")
        Map<String, Object> waits = (Map<String, Object>) run(
                "const codes = [[1006,''],[1011,'internal_error'],[1012,'server_shutdown'],[1013,'backplane_unavailable'],"
                        + "[4001,'unauthorized'],[4002,'server_full'],[4004,'stale'],[4008,'rate_limited'],[4009,'slow_consumer']];"
                        + "const out = {}; for (const [c, r] of codes) out[c] = m.closeDecision(c, r).wait; done(out);");
        assertEquals(Map.of("1006", "backoff", "1011", "backoff", "1012", "hint", "1013", "backoff", "4001",
                "new_token", "4002", "backoff", "4004", "backoff", "4008", "pause", "4009", "backoff"), waits);
    }

    @Test
    void aRetryHintInTheCloseReasonIsWaitedExactly() {
        @SuppressWarnings("unchecked")
        Map<String, Object> decisions = (Map<String, Object>) run("done({"
                + "busy: m.closeDecision(1013, 'server_busy:2750'), full: m.closeDecision(4002, 'server_full:900'),"
                + "shutdown: m.closeDecision(1012, 'server_shutdown:1500'), final: m.closeDecision(4002, 'lobby_full:100'),"
                + "junk: m.closeDecision(1013, 'server_busy:soon')});");
        assertEquals(Map.of("retry", true, "wait", "backoff", "hintMs", 2750L), numbersAsLong(decisions.get("busy")));
        assertEquals(Map.of("retry", true, "wait", "backoff", "hintMs", 900L), numbersAsLong(decisions.get("full")));
        assertEquals(Map.of("retry", true, "wait", "hint", "hintMs", 1500L), numbersAsLong(decisions.get("shutdown")));
        assertEquals(Map.of("retry", false), decisions.get("final"), "a hint does not make a final close retried");
        assertEquals(Map.of("retry", true, "wait", "backoff"), decisions.get("junk"), "not a hint: an unknown reason");

        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) run("const c = new m.LobbyClient({lobby: 'x', token: 't'});"
                + "const states = []; c.on('state', s => states.push(s));"
                + "c.onClose(1013, 'server_busy:1234'); c.close(); done(states[0]);");
        assertEquals("reconnecting", state.get("state"));
        assertEquals(1234L, ((Number) state.get("retryInMs")).longValue(), "the client waits exactly the hint");
    }

    private static Map<String, Object> numbersAsLong(Object decision) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new HashMap<>((Map<String, Object>) decision);
        map.replaceAll((k, v) -> v instanceof Number n ? (Object) n.longValue() : v);
        return map;
    }

    @Test
    void backoffIsFullJitterUnderACappedExponentialCeiling() {
        @SuppressWarnings("unchecked")
        List<Object> delays = (List<Object>) run("done([m.backoffDelay(0, 500, 30000, () => 0.999999),"
                + "m.backoffDelay(3, 500, 30000, () => 0.999999), m.backoffDelay(20, 500, 30000, () => 0.999999),"
                + "m.backoffDelay(5, 500, 30000, () => 0), m.backoffDelay(2, 500, 30000, () => 0.5)]);");
        assertEquals(List.of(499L, 3999L, 29999L, 0L, 1000L), delays);
    }

    @Test
    void aDroppedConnectionIsTriedAgainAtOnceThenWithBackoff() {
        @SuppressWarnings("unchecked")
        Map<String, Object> delays = (Map<String, Object>) run("const opts = {lobby: 'x', token: 't', backoffBaseMs: 1000,"
                + " backoffMaxMs: 1000};"
                + "const dropped = new m.LobbyClient(opts);"
                + "const first = dropped.scheduleRetry('backoff', {code: 1006}, 'network');"
                + "const second = dropped.scheduleRetry('backoff', {code: 1006}, 'network'); dropped.close();"
                + "const refused = new m.LobbyClient(opts);"
                + "const server = refused.scheduleRetry('backoff', {code: 1011}, 'server'); refused.close();"
                + "done({first, second, server});");
        assertEquals(0, ((Number) delays.get("first")).intValue(), delays::toString);
        assertTrue(((Number) delays.get("second")).doubleValue() > 0, delays::toString);
        assertTrue(((Number) delays.get("server")).doubleValue() > 0, "a server's refusal still backs off: " + delays);
    }

    @Test
    void backoffSpreadsOverTheWholeRange() {
        @SuppressWarnings("unchecked")
        List<Object> stats = (List<Object>) run("let min = 1e9, max = 0; for (let i = 0; i < 2000; i++) {"
                + " const d = m.backoffDelay(4, 500, 30000); min = Math.min(min, d); max = Math.max(max, d); }"
                + " done([min, max]);");
        long min = ((Number) stats.get(0)).longValue();
        long max = ((Number) stats.get(1)).longValue();
        assertTrue(min >= 0 && min < 400, "min " + min);
        assertTrue(max < 8000 && max > 7600, "max " + max);
    }

    @Test
    void sendQueueKeepsTheNewestAndCountsDrops() {
        @SuppressWarnings("unchecked")
        Map<String, Object> queue = (Map<String, Object>) run("const q = new m.BoundedQueue(3); const kept = [];"
                + "for (let i = 0; i < 5; i++) kept.push(q.push(i));"
                + "done({kept, items: q.drain(), dropped: q.dropped, after: q.size});");
        assertEquals(List.of(true, true, true, false, false), queue.get("kept"));
        assertEquals(List.of(2L, 3L, 4L), queue.get("items"));
        assertEquals(2L, queue.get("dropped"));
        assertEquals(0L, queue.get("after"));
    }

    @Test
    void lobbyFiltersBecomeTheDirectorysQueryString() {
        @SuppressWarnings("unchecked")
        Map<String, Object> queries = (Map<String, Object>) run("const q = m.lobbiesQuery; let bad;"
                + "try { q({properties: {mode: {nested: true}}}); bad = 'built'; } catch (e) { bad = e.name; }"
                + "done({none: q(), empty: q({}), all: q({properties: {mode: 'duel & co', level: 3, ranked: false,"
                + " skipped: undefined}, hasSpace: true, limit: 10, cursor: 'c_1'}), noSpace: q({hasSpace: false}),"
                + " nullCursor: q({cursor: null}), bad});");
        assertEquals("", queries.get("none"));
        assertEquals("", queries.get("empty"));
        assertEquals("limit=10&cursor=c_1&has_space=true&prop.mode=duel+%26+co&prop.level=3&prop.ranked=false",
                queries.get("all"));
        assertEquals("has_space=false", queries.get("noSpace"));
        assertEquals("", queries.get("nullCursor"));
        assertEquals("TypeError", queries.get("bad"), "an object is no filter value");
    }

    @Test
    void httpErrorsAreTypedAndSayWhetherToTryAgain() {
        @SuppressWarnings("unchecked")
        Map<String, Object> errors = (Map<String, Object>) run("const d = (s, c) => { const e = new m.LobbyhubHttpError(s, c, 'm');"
                + " return {error: e instanceof Error, name: e.name, status: e.status, code: e.code, rateLimited: e.rateLimited,"
                + " retryable: e.retryable}; };"
                + "done({limited: d(429, 'rate_limited'), down: d(503, 'backplane_unavailable'), bad: d(400, 'invalid_filter')});");
        assertEquals(Map.of("error", true, "name", "LobbyhubHttpError", "status", 429L, "code", "rate_limited",
                "rateLimited", true, "retryable", true), errors.get("limited"));
        assertEquals(Map.of("error", true, "name", "LobbyhubHttpError", "status", 503L, "code", "backplane_unavailable",
                "rateLimited", false, "retryable", true), errors.get("down"));
        assertEquals(Map.of("error", true, "name", "LobbyhubHttpError", "status", 400L, "code", "invalid_filter",
                "rateLimited", false, "retryable", false), errors.get("bad"));
    }

    @Test
    void theHttpAddressFollowsTheWebSocketAddress() {
        @SuppressWarnings("unchecked")
        Map<String, Object> bases = (Map<String, Object>) run("const b = o => new m.LobbyClient({token: 't', ...o}).httpBase();"
                + "done({page: b({}), ws: b({url: 'ws://lobbies.example:8080/'}), wss: b({url: 'wss://lobbies.example'}),"
                + " given: b({url: 'wss://a.example', httpUrl: 'https://b.example/api/'}), origin: location.origin});");
        assertEquals(bases.get("origin"), bases.get("page"));
        assertEquals("http://lobbies.example:8080", bases.get("ws"));
        assertEquals("https://lobbies.example", bases.get("wss"));
        assertEquals("https://b.example/api", bases.get("given"));
    }

    @Test
    void clientQueuesWhileNotConnectedAndTellsOnOverflow() {
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) run("const c = new m.LobbyClient({lobby: 'x', token: 't',"
                + " queueLimit: 2}); const errors = []; c.on('error', e => errors.push(e.code));"
                + "c.sendLobby(1); c.sendLobby(2); c.sendLobby(3);"
                + "done({size: c.queue.size, errors, state: c.state});");
        assertEquals(2L, result.get("size"));
        assertEquals(List.of("queue_overflow"), result.get("errors"));
        assertEquals("idle", result.get("state"));
    }
}
