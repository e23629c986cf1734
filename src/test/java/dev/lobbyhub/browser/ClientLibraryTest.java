package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Browser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The client library's decisions, run in the browser against the module the server serves. */
@QuarkusTest
class ClientLibraryTest {

    private static Browser browser;

    @TestHTTPResource("/")
    URI base;

    @BeforeAll
    static void openBrowser() {
        browser = Browser.open();
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    private Object run(String body) {
        browser.get(base + "q/health/live");
        return browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "import('/lobbyhub-client.js').then(m => { " + body + " }).catch(e => done('failed: ' + e));");
    }

    @Test
    void libraryAndTypesAreServed() {
        given().get("/lobbyhub-client.js").then().statusCode(200).contentType(containsString("javascript"))
                .body(containsString("export class LobbyClient"));
        given().get("/lobbyhub-client.d.ts").then().statusCode(200)
                .body(containsString("export class LobbyClient"));
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
    void backoffIsFullJitterUnderACappedExponentialCeiling() {
        @SuppressWarnings("unchecked")
        List<Object> delays = (List<Object>) run("done([m.backoffDelay(0, 500, 30000, () => 0.999999),"
                + "m.backoffDelay(3, 500, 30000, () => 0.999999), m.backoffDelay(20, 500, 30000, () => 0.999999),"
                + "m.backoffDelay(5, 500, 30000, () => 0), m.backoffDelay(2, 500, 30000, () => 0.5)]);");
        assertEquals(List.of(499L, 3999L, 29999L, 0L, 1000L), delays);
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
