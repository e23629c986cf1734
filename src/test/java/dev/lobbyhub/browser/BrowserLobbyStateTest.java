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

    private static By member(String user) {
        return By.cssSelector("#members li[data-user='" + user + "']");
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
            o.await(d -> "true".equals(d.findElement(member(pete)).getAttribute("data-ready")));
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

            o.script("window.lobby.close();");
            p.awaitText(By.id("owner"), "You own this lobby.");
            p.awaitText(By.id("log"), pete + " owns the lobby now (was " + olga + ")");
            assertTrue(p.driver().findElement(By.id("lock")).isDisplayed(), "the new owner gets the controls");
            assertEquals("true", p.driver().findElement(member(pete)).getAttribute("data-owner"));
        }
    }
}
