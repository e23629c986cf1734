package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Another member of the lobby sends script in every field the demo page shows: nothing runs, the text is shown
 * as text, and the page's Content-Security-Policy would have stopped the old {@code innerHTML} rendering. A token
 * given in the address does not stay there.
 */
@QuarkusTest
class DemoPageSafetyTest {

    @TestHTTPResource("/")
    URI base;

    /** Markup that sets {@code window.__xss} to {@code label} if a page ever parses it as HTML (at most 128 characters, a user id). */
    private static String payload(String label) {
        return "<img src=x onerror=\"window.__xss='" + label + "'\"><svg onload=\"window.__xss='" + label + "'\">";
    }

    private static final String RECORD_VIOLATIONS = "window.__violations = [];"
            + "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));";

    @Test
    void hostilePayloadsFromAnotherPlayerAreShownAsTextAndNeverRun() {
        String lobby = Tokens.unique("xss");
        String alice = Tokens.unique("alice");
        String hostileId = payload("user_id");
        try (Browser page = Browser.open()) {
            page.get(base + "?user=" + alice + "&lobby=" + lobby).awaitState("open");
            page.script(RECORD_VIOLATIONS);
            try (TestSocket hostile = TestSocket.joinWelcomed(base, lobby, Tokens.valid(hostileId))) {
                page.await(d -> d.findElement(By.id("members")).getText().contains(hostileId));
                hostile.send(lobbyMessage(new JsonObject().put("kind", "chat").put("text", payload("chat"))));
                hostile.send(lobbyMessage(new JsonObject().put("kind", "rtt").put("ms", payload("rtt"))));
                hostile.send(lobbyMessage(new JsonObject().put("kind", "paint").put("cell", 3)
                        .put("color", "#fff\" onmouseover=\"window.__xss=['paint']")));
                hostile.send(lobbyMessage(new JsonObject().put("kind", "paint").put("cell", payload("cell"))
                        .put("color", "#ff0000")));
                JsonArray cells = new JsonArray();
                for (int i = 0; i < 100; i++) {
                    cells.add(payload("state" + i));
                }
                hostile.send(new JsonObject().put("type", "direct_message").put("to", alice)
                        .put("data", new JsonObject().put("kind", "state").put("cells", cells)));
                hostile.send(new JsonObject().put("type", "direct_message").put("to", alice)
                        .put("data", new JsonObject().put("kind", "chat").put("text", payload("direct"))));
                given().header("Authorization", "Bearer test-admin-key").contentType("application/json")
                        .body(new JsonObject().put("data", new JsonObject().put("kind", "chat")
                                .put("text", payload("admin"))).encode())
                        .post("/api/v1/lobbies/" + lobby + "/messages").then().statusCode(200);
                hostile.send(lobbyMessage(new JsonObject().put("kind", "chat").put("text", "last one")));
                page.awaitText(By.id("chat"), "last one");
            }
            page.awaitText(By.id("log"), hostileId + " left (left)");

            String chat = page.driver().findElement(By.id("chat")).getText();
            for (String label : List.of("chat", "direct", "admin")) {
                assertTrue(chat.contains(payload(label)), () -> label + " not shown as text in: " + chat);
            }
            assertTrue(page.driver().findElement(By.id("log")).getText().contains(hostileId + " joined"));
            assertEquals(0L, page.script("return document.querySelectorAll('#game img, #game svg, #game script').length;"));
            assertEquals("", page.script("return document.querySelector('#board [data-cell=\"3\"]').style.background;"));
            assertEquals(null, page.script("return window.__xss || null;"));
            assertEquals(List.of(), page.script("return window.__violations;"), "the page itself tried a blocked sink");
            assertEquals("open", page.state());
        }
    }

    @Test
    void contentSecurityPolicyWouldHaveBlockedTheOldMemberList() {
        given().get("/").then().statusCode(200).header("Content-Security-Policy", allOf(
                containsString("script-src 'self'"), containsString("require-trusted-types-for 'script'"),
                not(containsString("unsafe-inline")), not(containsString("unsafe-eval"))));
        try (Browser page = Browser.open()) {
            page.get(base.toString());
            page.await(d -> d.findElement(By.id("join-form")).isDisplayed());
            page.script(RECORD_VIOLATIONS);
            // What renderMembers used to do with another player's rtt value: HTML from a string.
            Object assigned = page.script("try { document.getElementById('members').innerHTML = arguments[0];"
                    + " return 'assigned'; } catch (e) { return e.name; }", payload("innerHTML"));
            assertEquals("TypeError", assigned);
            // An inline handler attached any other way is not run either.
            page.script("const img = document.createElement('img'); window.__errors = 0;"
                    + "img.addEventListener('error', () => window.__errors++);"
                    + "try { img.setAttribute('onerror', \"window.__xss='handler'\"); } catch (e) {}"
                    + "img.src = 'data:image/png;base64,AAAA'; document.body.append(img);");
            page.await(d -> ((Number) page.script("return window.__errors;")).intValue() > 0);
            assertEquals(null, page.script("return window.__xss || null;"));
            assertFalse(((List<?>) page.script("return window.__violations;")).isEmpty());
        }
    }

    @Test
    void lobbyCodeFieldRejectsWhatTheServerWould() {
        try (Browser page = Browser.open()) {
            page.get(base.toString());
            page.await(d -> d.findElement(By.id("join-form")).isDisplayed());
            String check = "const f = document.getElementById('join-lobby'); f.value = arguments[0]; return f.checkValidity();";
            assertEquals(true, page.script(check, "room_42-a"));
            assertEquals(false, page.script(check, "room 42"));
            assertEquals(false, page.script(check, "räum"));
            assertEquals(false, page.script(check, "a".repeat(65)));
        }
    }

    /**
     * A production token given in the address (as a game links to the page) leaves it at once, so it is not kept in
     * history, screenshots or shared links; the tab keeps it, so a reload and "Open me in a new tab" still connect.
     * The token's user differs from the page's {@code user}: a dev token would connect as the latter.
     */
    @Test
    void tokenLeavesTheAddressAndAReloadStillConnects() {
        String lobby = Tokens.unique("token");
        String user = Tokens.unique("page");
        String holder = Tokens.unique("holder");
        String token = Tokens.valid(holder);
        String address = base + "?user=" + user + "&lobby=" + lobby;
        try (Browser page = Browser.open()) {
            page.get(address + "&token=" + token).awaitState("open");
            page.awaitText(By.id("members"), holder + " (you)");
            assertEquals(address, page.script("return location.href;"));
            assertFalse(((String) page.script("return document.getElementById('replace').href;")).contains(token));

            page.driver().navigate().refresh();
            page.awaitState("open");
            page.awaitText(By.id("members"), holder + " (you)");
            assertEquals(address, page.script("return location.href;"));
            given().header("Authorization", "Bearer test-admin-key").get("/api/v1/users/" + holder)
                    .then().statusCode(200).body("connected", equalTo(true), "lobby", equalTo(lobby));
            given().header("Authorization", "Bearer test-admin-key").get("/api/v1/users/" + user)
                    .then().statusCode(200).body("connected", equalTo(false));

            // "Open me in a new tab": the new tab connects with the same token and replaces this one.
            String first = page.driver().getWindowHandle();
            page.driver().findElement(By.id("replace")).click();
            page.await(d -> d.getWindowHandles().size() == 2);
            String second = page.driver().getWindowHandles().stream().filter(h -> !h.equals(first)).findFirst().orElseThrow();
            page.driver().switchTo().window(second);
            page.awaitState("open");
            page.awaitText(By.id("members"), holder + " (you)");
            assertEquals(address, page.script("return location.href;"));
            page.driver().switchTo().window(first);
            page.awaitText(By.id("state"), "4005 replaced");
        }
    }

    @Test
    void tokenWithoutALobbyGoesIntoTheFormNotTheAddress() {
        try (Browser page = Browser.open()) {
            page.get(base + "?token=not-even-a-jwt");
            page.await(d -> d.findElement(By.id("join-form")).isDisplayed());
            assertEquals(base.toString(), page.script("return location.href;"));
            assertEquals("not-even-a-jwt", page.script("return document.getElementById('join-token').value;"));
        }
    }

    private static JsonObject lobbyMessage(JsonObject data) {
        return new JsonObject().put("type", "lobby_message").put("data", data);
    }
}
