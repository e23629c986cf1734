package dev.lobbyhub.browser;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.HeldSeats;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The demo page with held seats (SPEC §10): a player whose connection dropped is shown away, then back. */
@QuarkusTest
@TestProfile(HeldSeats.class)
class BrowserHeldSeatTest {

    @TestHTTPResource("/")
    URI base;

    private static By member(String user, String state) {
        return By.cssSelector("#members li" + state + "[data-user='" + user + "']");
    }

    @Test
    void aPlayerWhoseConnectionDroppedIsShownAwayThenBack() {
        String lobby = Tokens.unique("browser");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (Browser a = Browser.open()) {
            a.get(base + "?user=" + alice + "&lobby=" + lobby).awaitState("open");
            TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob));
            a.await(d -> !d.findElements(member(bob, ":not(.away)")).isEmpty());

            first.abort();
            a.await(d -> !d.findElements(member(bob, ".away")).isEmpty());
            a.awaitText(By.id("log"), bob + " dropped (dropped): seat held for 7 s");

            try (TestSocket back = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
                a.await(d -> !d.findElements(member(bob, ":not(.away)")).isEmpty());
                a.awaitText(By.id("log"), bob + " is back");
            }
        }
    }
}
