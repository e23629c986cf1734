package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The demo page as a game room (SPEC §12) in headless Chromium: it shows who owns the lobby, players
 * toggle "ready", the owner locks the lobby and sets the game mode, and the lobby is handed over
 * when its owner leaves.
 */
@QuarkusTest
class BrowserLobbyStateTest {

    @TestHTTPResource("/")
    URI base;

    private String page(String user, String lobby) {
        return base + "?user=" + user + "&lobby=" + lobby;
    }

    /**
     * An attribute of a player's line, read in one step: the page draws the member list again every
     * few seconds (round trips, held seats), so an element found earlier may be gone.
     */
    private static Object memberData(Browser browser, String user, String attribute) {
        return browser.script("const li = document.querySelector(\"#members li[data-user='\" + arguments[0] + \"']\");"
                + " return li === null ? null : li.getAttribute(arguments[1]);", user, attribute);
    }

    @Test
    void theOwnerLocksAndSetsTheModePlayersGetReadyAndOwnershipPassesOn() {
        String lobby = Tokens.unique("room");
        String olga = Tokens.unique("olga");
        String pete = Tokens.unique("pete");
        try (Browser o = Browser.open(); Browser p = Browser.open()) {
            o.get(page(olga, lobby)).awaitState("open");
            o.awaitText(By.id("owner"), "You own this lobby.");
            p.get(page(pete, lobby)).awaitState("open");
            p.awaitText(By.id("owner"), olga + " owns this lobby.");
            assertFalse(p.driver().findElement(By.id("lock")).isDisplayed(), "only the owner sees the lock");
            assertTrue(o.driver().findElement(By.id("lock")).isDisplayed());

            p.driver().findElement(By.id("ready")).click();
            o.await(d -> "true".equals(memberData(o, pete, "data-ready")));
            p.awaitText(By.id("ready"), "Not ready");

            o.driver().findElement(By.id("lock")).click();
            p.await(d -> "true".equals(d.findElement(By.id("lock-state")).getAttribute("data-locked")));
            TestSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(Tokens.unique("late")))
                    .expectRejected(4003, "lobby_locked");
            o.awaitText(By.id("lock"), "Unlock the lobby");

            o.script("const mode = document.getElementById('mode'); mode.value = 'duel';"
                    + " mode.dispatchEvent(new Event('change'));");
            p.awaitText(By.id("mode-state"), "Mode: duel.");
            p.awaitText(By.id("log"), olga + " locked the lobby, mode duel");

            // The owner's kick button on a player's line: closed 4006, and kept out.
            o.driver().findElement(By.id("lock")).click();
            p.await(d -> "false".equals(d.findElement(By.id("lock-state")).getAttribute("data-locked")));
            String rude = Tokens.unique("rude");
            try (TestSocket r = TestSocket.joinWelcomed(base, lobby, Tokens.valid(rude))) {
                o.await(d -> !d.findElements(By.cssSelector("#members button[data-kick='" + rude + "']")).isEmpty());
                assertTrue(p.driver().findElements(By.cssSelector("#members button[data-kick]")).isEmpty(),
                        "only the owner has kick buttons");
                o.script("document.querySelector(\"#members button[data-kick='\" + arguments[0] + \"']\").click();", rude);
                assertEquals(new TestSocket.Close(4006, "kicked"), r.awaitClose());
                p.awaitText(By.id("log"), rude + " left (kicked)");
                TestSocket.connect(base, "/ws/" + lobby + "?token=" + Tokens.valid(rude)).expectRejected(4003, "forbidden");
            }

            o.script("window.lobby.close();");
            p.awaitText(By.id("owner"), "You own this lobby.");
            p.awaitText(By.id("log"), pete + " owns the lobby now (was " + olga + ")");
            assertTrue(p.driver().findElement(By.id("lock")).isDisplayed(), "the new owner gets the controls");
            p.await(d -> "true".equals(memberData(p, pete, "data-owner")));
        }
    }
}
