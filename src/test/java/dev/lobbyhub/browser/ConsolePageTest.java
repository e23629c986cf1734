package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/**
 * The operator console in headless Chromium against a real node: it asks for the admin key (and again after a
 * 401), shows the node, the lobbies page by page, a lobby with its members and a user, and its actions reach
 * real WebSocket members. User ids, display names and lobby properties that hold markup are shown as text and
 * never run. {@code -Dconsole.screenshots=docs/screenshots} also saves screenshots of the console.
 */
@QuarkusTest
class ConsolePageTest {

    static final String KEY = "test-admin-key";

    @TestHTTPResource("/console/")
    URI console;

    @TestHTTPResource("/")
    URI base;

    /** Markup that sets {@code window.__xss} if a page ever parses it as HTML. */
    private static String payload(String label) {
        return "<img src=x onerror=\"window.__xss='" + label + "'\"><svg onload=\"window.__xss='" + label + "'\">";
    }

    private static final String RECORD_VIOLATIONS = "window.__violations = [];"
            + "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));";

    /** Clicks the button in the row of a list whose data attribute equals {@code value}, in one step (rows are redrawn). */
    private static final String CLICK_ROW = "const li = [...document.querySelectorAll(arguments[0] + ' > li')]"
            + ".find(li => li.dataset[arguments[1]] === arguments[2]); if (!li) return false;"
            + " li.querySelector('button').click(); return true;";

    private static final String ROW_TEXT = "const li = [...document.querySelectorAll(arguments[0] + ' > li')]"
            + ".find(li => li.dataset[arguments[1]] === arguments[2]); return li ? li.textContent : null;";

    private static String text(Browser page, String id) {
        return (String) page.script("const e = document.getElementById(arguments[0]); return e ? e.textContent : null;", id);
    }

    private static void awaitText(Browser page, String id, String expected) {
        page.await(d -> {
            String text = text(page, id);
            return text != null && text.contains(expected);
        });
    }

    private static boolean visible(Browser page, String id) {
        return page.driver().findElement(By.id(id)).isDisplayed();
    }

    private static void fill(Browser page, String id, String value) {
        page.script("document.getElementById(arguments[0]).value = arguments[1];", id, value);
    }

    private static void submit(Browser page, String formId) {
        page.script("document.getElementById(arguments[0]).requestSubmit();", formId);
    }

    private static void click(Browser page, String id) {
        page.driver().findElement(By.id(id)).click();
    }

    private static void signIn(Browser page, String key) {
        page.await(d -> visible(page, "login"));
        fill(page, "key", key);
        submit(page, "login-form");
    }

    private static String rowText(Browser page, String list, String data, String value) {
        return (String) page.script(ROW_TEXT, list, data, value);
    }

    private static List<?> codes(Browser page) {
        return (List<?>) page.script("return [...document.querySelectorAll('#lobbies > li')].map(li => li.dataset.code);");
    }

    private static String named(String user, String name) {
        return Tokens.hs256(Tokens.TEST_SECRET, claims -> {
            claims.setSubject(user);
            claims.setClaim("name", name);
        });
    }

    private static JsonObject admin(Response response, int status) {
        assertEquals(status, response.statusCode(), response::asString);
        return new JsonObject(response.asString());
    }

    @Test
    void servedWithAStrictPolicyAndOnlyItsOwnFiles() {
        given().get("/console/").then().statusCode(200).contentType(startsWith("text/html"))
                .header("Content-Security-Policy", allOf(containsString("script-src 'self'"),
                        containsString("require-trusted-types-for 'script'"), containsString("connect-src 'self'"),
                        not(containsString("unsafe-inline")), not(containsString("unsafe-eval"))))
                .header("X-Content-Type-Options", "nosniff").header("Referrer-Policy", "no-referrer")
                .header("Access-Control-Allow-Origin", nullValue())
                .body(allOf(containsString("/console/console.js"), not(containsString("<script>"))));
        given().redirects().follow(true).get("/console").then().statusCode(200).body(containsString("/console/console.js"));
        given().get("/console/console.js").then().statusCode(200).contentType(startsWith("text/javascript"))
                .header("X-Content-Type-Options", "nosniff");
        given().get("/console/console.css").then().statusCode(200).contentType(startsWith("text/css"));
        given().get("/console/index.js").then().statusCode(404).body("error", equalTo("not_found"));

        try (Browser page = Browser.open()) {
            page.get(console.toString());
            page.await(d -> visible(page, "login"));
            // What an HTML sink would do with a string: refused by the page's Trusted Types policy.
            Object assigned = page.script("try { document.getElementById('nodes').innerHTML = arguments[0];"
                    + " return 'assigned'; } catch (e) { return e.name; }", payload("innerHTML"));
            assertEquals("TypeError", assigned);
            assertNull(page.script("return window.__xss || null;"));
        }
    }

    @Test
    void aWrongKeyIsRefusedAndTheKeyIsAskedForAgain() {
        try (Browser page = Browser.open()) {
            page.get(console.toString());
            signIn(page, "not-the-key");
            page.await(d -> visible(page, "login-error"));
            assertTrue(text(page, "login-error").contains("refused this key (401"), text(page, "login-error"));
            assertTrue(visible(page, "login"));
            assertFalse(visible(page, "console"));
            assertEquals("key refused", text(page, "state"));
            assertNull(page.script("return sessionStorage.getItem('lobbyhub.console.key');"));

            signIn(page, KEY);
            page.await(d -> visible(page, "console"));
            awaitText(page, "cluster-summary", "connections");
            assertFalse(visible(page, "login"));
            assertEquals(KEY, page.script("return sessionStorage.getItem('lobbyhub.console.key');"));

            // The tab keeps the key: a reload does not ask again. Signing out forgets it.
            page.driver().navigate().refresh();
            page.await(d -> visible(page, "console"));
            awaitText(page, "state", "live");
            click(page, "sign-out");
            page.await(d -> visible(page, "login"));
            assertNull(page.script("return sessionStorage.getItem('lobbyhub.console.key');"));
        }
    }

    @Test
    void showsTheNodeLobbiesALobbyAndAUserAndItsActionsReachTheMembers() {
        String lobby = Tokens.unique("console");
        String other = Tokens.unique("console-other");
        String alice = Tokens.unique("alice");
        String aliceName = "<img src=x onerror=\"window.__xss='name'\">"; // names: at most 64
        String hostile = payload("id");
        String propertyPayload = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>";
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, named(alice, aliceName));
                TestSocket h = TestSocket.joinWelcomed(base, lobby, Tokens.valid(hostile));
                TestSocket dots = TestSocket.joinWelcomed(base, other, Tokens.valid(".."));
                TestSocket oddSocket = TestSocket.joinWelcomed(base, other, Tokens.valid("a/b?c#d%e f"));
                Browser page = Browser.open()) {
            admin(given().header("Authorization", "Bearer " + KEY).contentType("application/json")
                    .body(new JsonObject().put("properties", new JsonObject().put("x", propertyPayload)).encode())
                    .patch("/api/v1/lobbies/" + lobby), 200);
            String nodeId = admin(given().header("Authorization", "Bearer " + KEY).get("/api/v1/stats"), 200)
                    .getString("node_id");

            page.get(console.toString());
            page.script(RECORD_VIOLATIONS);
            signIn(page, KEY);

            // The node, and the totals drawn over time (a second poll adds a second point).
            page.await(d -> rowText(page, "#nodes", "node", nodeId) != null);
            assertTrue(rowText(page, "#nodes", "node", nodeId).contains("connections"));
            awaitText(page, "cluster-summary", "single node");
            awaitText(page, "health", "this node ready");
            assertEquals("none", page.script("return document.getElementById('health').dataset.backplane;"));
            assertEquals(1L, page.script("return document.querySelectorAll('#nodes > li').length;"));
            assertEquals(3L, page.script("return document.querySelectorAll('#charts figure svg polyline').length;"));
            page.await(d -> (Boolean) page.script("const n = window.consoleView.history.connections.length;"
                    + " return n >= 2 && document.querySelector('[data-chart=connections] polyline')"
                    + ".getAttribute('points').split(' ').length === n;"));

            // Lobbies page by page, as the admin API pages them.
            JsonObject first = admin(given().header("Authorization", "Bearer " + KEY).get("/api/v1/lobbies?limit=1"), 200);
            String firstCode = first.getJsonArray("lobbies").getJsonObject(0).getString("code");
            String cursor = first.getString("next_cursor");
            String secondCode = admin(given().header("Authorization", "Bearer " + KEY).queryParam("limit", 1)
                    .queryParam("cursor", cursor).get("/api/v1/lobbies"), 200)
                    .getJsonArray("lobbies").getJsonObject(0).getString("code");
            page.script("const s = document.getElementById('page-size'); s.value = '1';"
                    + " s.dispatchEvent(new Event('change'));");
            page.await(d -> codes(page).equals(List.of(firstCode)));
            click(page, "lobbies-next");
            page.await(d -> codes(page).equals(List.of(secondCode)));
            assertTrue(text(page, "lobbies-status").startsWith("Page 2"), text(page, "lobbies-status"));
            click(page, "lobbies-prev");
            page.await(d -> codes(page).equals(List.of(firstCode)));
            fill(page, "page-size", "1000");
            page.script("document.getElementById('page-size').dispatchEvent(new Event('change'));");
            page.await(d -> codes(page).contains(lobby) && codes(page).contains(other));
            assertTrue(rowText(page, "#lobbies", "code", lobby).contains("2 members"));

            // A lobby with its members: opened from the list.
            assertEquals(true, page.script(CLICK_ROW, "#lobbies", "code", lobby));
            page.await(d -> rowText(page, "#lobby-members", "user", hostile) != null
                    && rowText(page, "#lobby-members", "user", alice) != null);
            String aliceRow = rowText(page, "#lobby-members", "user", alice);
            assertTrue(aliceRow.contains(aliceName), aliceRow);
            assertTrue(aliceRow.contains("owner"), aliceRow);
            assertTrue(aliceRow.contains("node " + nodeId), aliceRow);
            assertTrue(aliceRow.contains("connected"), aliceRow);
            page.await(d -> rowText(page, "#lobby-members", "user", alice).matches("(?s).*RTT \\d+ ms.*"));
            assertTrue(rowText(page, "#lobby-members", "user", hostile).contains(hostile));
            String facts = text(page, "lobby-facts");
            assertTrue(facts.contains("owner" + alice), facts);
            assertTrue(facts.contains("members2 of "), facts);
            assertTrue(facts.contains("lockedno") && facts.contains("visibilityprivate") && facts.contains("reserved0"), facts);
            assertTrue(text(page, "lobby-properties").contains(propertyPayload), text(page, "lobby-properties"));

            // Message the lobby: both members hear it, from nobody.
            fill(page, "lobby-message", "{\"hello\":\"lobby\"}");
            submit(page, "lobby-message-form");
            awaitText(page, "lobby-result", "Delivered to 2 members.");
            for (TestSocket member : List.of(a, h)) {
                JsonObject heard = member.expectSkipping("lobby_message", m -> true);
                assertEquals(new JsonObject().put("hello", "lobby"), heard.getJsonObject("data"));
                assertNull(heard.getValue("from"));
            }

            // A user, opened from the member list; a direct message, a ping, a kick after its confirmation.
            assertEquals(true, page.script(CLICK_ROW, "#lobby-members", "user", hostile));
            awaitText(page, "user-status", "User " + hostile);
            page.await(d -> "true".equals(page.script("return document.getElementById('user-facts').dataset.connected;")));
            assertTrue(text(page, "user-facts").contains("lobby" + lobby), text(page, "user-facts"));
            fill(page, "user-message", "just text");
            submit(page, "user-message-form");
            awaitText(page, "user-result", "Delivered to " + hostile);
            JsonObject direct = h.expectSkipping("direct_message", m -> true);
            assertEquals("just text", direct.getString("data"));
            assertNull(direct.getValue("from"));

            click(page, "ping");
            awaitText(page, "user-result", hostile + " is alive: answered in ");

            click(page, "kick");
            page.await(d -> visible(page, "kick-confirm"));
            assertTrue(text(page, "kick-question").contains("Kick " + hostile + "?"));
            click(page, "kick-no");
            awaitText(page, "user-result", "Not kicked.");
            assertFalse(visible(page, "kick-confirm"));
            assertTrue(admin(given().header("Authorization", "Bearer " + KEY).urlEncodingEnabled(false)
                    .get("/api/v1/users/" + AdminPath.segment(hostile)), 200).getBoolean("connected"));
            assertFalse(h.isClosed());
            click(page, "kick");
            page.await(d -> visible(page, "kick-confirm"));
            click(page, "kick-yes");
            assertEquals(new TestSocket.Close(4006, "kicked"), h.awaitClose());
            awaitText(page, "user-result", "Kicked " + hostile + ".");
            page.await(d -> "false".equals(page.script("return document.getElementById('user-facts').dataset.connected;")));
            page.await(d -> rowText(page, "#lobby-members", "user", hostile) == null);

            // An id that must be percent-encoded.
            String odd = "a/b?c#d%e f";
            fill(page, "user-id", odd);
            submit(page, "user-form");
            awaitText(page, "user-status", "User " + odd);
            page.await(d -> "true".equals(page.script("return document.getElementById('user-facts').dataset.connected;")));
            assertTrue(text(page, "user-facts").contains("lobby" + other), text(page, "user-facts"));
            // ".." is connected, but a browser cannot ask for it: it reads %2E%2E as "..", the parent. The console says so.
            assertEquals("/api/v1/", page.script("return new URL('/api/v1/users/%2E%2E', location.href).pathname;"));
            assertTrue(admin(given().header("Authorization", "Bearer " + KEY).urlEncodingEnabled(false)
                    .get("/api/v1/users/%2E%2E"), 200).getBoolean("connected"));
            fill(page, "user-id", "..");
            submit(page, "user-form");
            awaitText(page, "user-status", "A browser cannot address the user \"..\"");
            assertFalse(visible(page, "user"));
            fill(page, "user-id", odd);
            submit(page, "user-form");
            awaitText(page, "user-status", "User " + odd);
            page.await(d -> visible(page, "user"));
            click(page, "ping");
            awaitText(page, "user-result", "a/b?c#d%e f is alive");

            // Nothing that came from the network ran or became an element.
            assertNull(page.script("return window.__xss || null;"));
            assertEquals(0L, page.script("return document.querySelectorAll('img, script:not([src]), [onerror], [onload]').length;"));
            assertEquals(0L, page.script("return [...document.querySelectorAll('svg')].filter(s => !s.closest('#charts')).length;"));
            assertEquals(List.of(), page.script("return window.__violations;"), "the page itself tried a blocked sink");
        }
    }

    /** Percent-encoding of a path segment as an HTTP client would write it (a space as %20). */
    static final class AdminPath {
        static String segment(String value) {
            if (value.equals(".")) {
                return "%2E";
            }
            if (value.equals("..")) {
                return "%2E%2E";
            }
            return dev.lobbyhub.testing.AdminHttp.segment(value);
        }
    }

    @Test
    void fitsAPhoneScreenWithoutScrollingSideways() throws IOException {
        String lobby = Tokens.unique("friday-night");
        String ada = Tokens.unique("ada-lovelace-with-a-rather-long-user-id-that-must-wrap");
        String grace = Tokens.unique("grace");
        String screenshots = System.getProperty("console.screenshots");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, named(ada, "Ada"));
                TestSocket g = TestSocket.joinWelcomed(base, lobby, named(grace, "Grace"));
                Browser page = Browser.open()) {
            admin(given().header("Authorization", "Bearer " + KEY).contentType("application/json")
                    .body(new JsonObject().put("properties", new JsonObject().put("mode", "duel").put("map", "harbor"))
                            .put("visibility", "public").encode())
                    .patch("/api/v1/lobbies/" + lobby), 200);
            page.get(console.toString());
            signIn(page, KEY);
            page.await(d -> visible(page, "console"));
            fill(page, "lobby-code", lobby);
            submit(page, "lobby-form");
            page.await(d -> rowText(page, "#lobby-members", "user", ada) != null);
            page.await(d -> rowText(page, "#lobby-members", "user", ada).matches("(?s).*RTT \\d+ ms.*"));
            assertEquals(true, page.script(CLICK_ROW, "#lobby-members", "user", ada));
            awaitText(page, "user-status", "User " + ada);
            click(page, "ping");
            awaitText(page, "user-result", "is alive");
            // Players arrive: the connections chart follows the polled figures.
            List<TestSocket> more = new java.util.ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    more.add(TestSocket.joinWelcomed(base, lobby + "-b", Tokens.valid(Tokens.unique("player"))));
                    int expected = 2 + i;
                    page.await(d -> ((Number) page.script("const c = window.consoleView.history.connections;"
                            + " return c[c.length - 1];")).intValue() == expected);
                }
                page.await(d -> text(page, "charts").startsWith("Connections5"));
                save(page, screenshots, "console-laptop.png");
            } finally {
                more.forEach(TestSocket::close);
            }

            page.driver().manage().window().setSize(new Dimension(390, 844));
            page.await(d -> ((Number) page.script("return window.innerWidth;")).intValue() <= 390);
            awaitText(page, "state", "live");
            for (String id : List.of("cluster", "lobbies-section", "lobby-section", "user-section")) {
                Number overflow = (Number) page.script("return document.getElementById(arguments[0]).scrollWidth"
                        + " - document.getElementById(arguments[0]).clientWidth;", id);
                assertEquals(0, overflow.intValue(), id + " overflows sideways");
            }
            Number pageOverflow = (Number) page.script("return document.documentElement.scrollWidth - window.innerWidth;");
            assertTrue(pageOverflow.intValue() <= 0, "the page is wider than the screen by " + pageOverflow);
            Number sectionWidth = (Number) page.script("return document.getElementById('user-section').getBoundingClientRect().right;");
            assertTrue(sectionWidth.doubleValue() <= 390, "the user section ends at " + sectionWidth);
            save(page, screenshots, "console-phone.png");
            page.script("document.getElementById('lobby-section').scrollIntoView();");
            save(page, screenshots, "console-phone-lobby.png");
        }
    }

    private static void save(Browser page, String directory, String name) throws IOException {
        if (directory == null || directory.isBlank()) {
            return;
        }
        Path target = Path.of(directory);
        Files.createDirectories(target);
        Files.write(target.resolve(name), page.driver() instanceof org.openqa.selenium.TakesScreenshot shot
                ? shot.getScreenshotAs(OutputType.BYTES) : new byte[0]);
    }
}
