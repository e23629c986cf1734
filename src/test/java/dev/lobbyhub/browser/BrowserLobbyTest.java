package dev.lobbyhub.browser;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** The demo page and the client library in headless Chromium, as players use them. */
@QuarkusTest
class BrowserLobbyTest {

    @TestHTTPResource("/")
    URI base;

    private String page(String user, String lobby) {
        return base + "?user=" + user + "&lobby=" + lobby;
    }

    private static By member(String user) {
        return By.cssSelector("#members li[data-user='" + user + "']");
    }

    @Test
    void twoPlayersSeeEachOtherAndChat() {
        String lobby = Tokens.unique("browser");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (Browser a = Browser.open(); Browser b = Browser.open()) {
            a.get(page(alice, lobby)).awaitState("open");
            b.get(page(bob, lobby)).awaitState("open");
            a.await(d -> !d.findElements(member(bob)).isEmpty());
            b.await(d -> !d.findElements(member(alice)).isEmpty());

            a.driver().findElement(By.id("chat-input")).sendKeys("hello from alice");
            a.driver().findElement(By.cssSelector("#chat-form button")).click();
            b.awaitText(By.cssSelector("#chat p"), "hello from alice");

            b.driver().findElement(By.cssSelector("#board [data-cell='42']")).click();
            a.await(d -> !d.findElement(By.cssSelector("#board [data-cell='42']")).getAttribute("style").isEmpty());

            b.script("window.lobby.close();");
            a.await(d -> d.findElements(member(bob)).isEmpty());
            a.awaitText(By.id("log"), bob + " left (left)");
        }
    }

    @Test
    void kickedTabShowsWhyAndStaysClosed() {
        String lobby = Tokens.unique("browser");
        String carol = Tokens.unique("carol");
        try (Browser c = Browser.open()) {
            c.get(page(carol, lobby)).awaitState("open");
            given().header("Authorization", "Bearer test-admin-key")
                    .delete("/api/v1/users/" + carol + "/connection").then().statusCode(204);
            c.awaitState("closed");
            c.awaitText(By.id("state"), "4006 kicked");
            c.awaitText(By.id("log"), "kicked out (by the lobby's owner or the game backend): will not reconnect");
            assertNull(c.script("return window.lobby.retryTimer;"));
            given().header("Authorization", "Bearer test-admin-key").get("/api/v1/users/" + carol)
                    .then().statusCode(200).body("connected", org.hamcrest.Matchers.equalTo(false));

            // A final state: said so, play disabled, and a way back in.
            c.awaitText(By.id("final-why"), "kicked out");
            assertTrue(c.driver().findElement(By.id("final")).isDisplayed());
            assertFalse(c.driver().findElement(By.id("chat-input")).isEnabled());
            assertTrue(c.driver().findElement(By.id("notice")).isDisplayed());
            c.driver().findElement(By.id("rejoin")).click();
            c.awaitState("open");
            assertFalse(c.driver().findElement(By.id("final")).isDisplayed());
            assertTrue(c.driver().findElement(By.id("chat-input")).isEnabled());
            given().header("Authorization", "Bearer test-admin-key").get("/api/v1/users/" + carol)
                    .then().statusCode(200).body("connected", org.hamcrest.Matchers.equalTo(true));
        }
    }

    @Test
    void lateJoinerGetsTheBoardFromAMember() {
        String lobby = Tokens.unique("browser");
        String frank = Tokens.unique("frank");
        String gina = Tokens.unique("gina");
        try (Browser f = Browser.open(); Browser g = Browser.open()) {
            f.get(page(frank, lobby)).awaitState("open");
            f.driver().findElement(By.cssSelector("#board [data-cell='7']")).click();
            String painted = (String) f.script("return document.querySelector('#board [data-cell=\"7\"]').style.background;");
            assertFalse(painted.isEmpty());

            g.get(page(gina, lobby)).awaitState("open");
            g.await(d -> painted.equals(g.script(
                    "return document.querySelector('#board [data-cell=\"7\"]').style.background;")));
            g.awaitText(By.id("log"), "board copied from " + frank);
        }
    }

    @Test
    void frozenTabIsEvictedAsStaleThenComesBack() {
        String lobby = Tokens.unique("browser");
        String dave = Tokens.unique("dave");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")));
                Browser d = Browser.open()) {
            d.get(page(dave, lobby)).awaitState("open");
            assertEquals(dave, watcher.expect("member_joined").getString("user_id"));
            d.driver().findElement(By.id("hang")).click();
            // The page asks the watcher for the board, and until the freeze reports its RTT to the lobby; skip those.
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", dave).put("reason", "stale"),
                    Frames.withoutOffset(watcher.expectSkipping("member_left", BrowserLobbyTest::isGameMessage)));
            d.awaitText(By.id("log"), "4004 stale");
            // One eviction is the demonstration: the tab answers pings again and stays.
            d.awaitText(By.id("log"), "evicted once as stale: answering health pings again");
            assertEquals(dave, watcher.expectSkipping("member_joined", BrowserLobbyTest::isGameMessage)
                    .getString("user_id"));
            d.awaitState("open");
        }
    }

    private static boolean isGameMessage(JsonObject frame) {
        return "lobby_message".equals(frame.getString("type")) || "direct_message".equals(frame.getString("type"));
    }

    @Test
    void secondTabOfTheSamePlayerReplacesTheFirst() {
        String lobby = Tokens.unique("browser");
        String erin = Tokens.unique("erin");
        try (Browser first = Browser.open(); Browser second = Browser.open()) {
            first.get(page(erin, lobby)).awaitState("open");
            second.get(page(erin, lobby)).awaitState("open");
            first.awaitState("closed");
            first.awaitText(By.id("state"), "4005 replaced");
            assertEquals("open", second.state());
        }
    }
}
