package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.HeldSeats;
import dev.lobbyhub.testing.RedisProxy;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** The demo page with held seats (SPEC §10): a player whose connection dropped is shown away, then back. */
@QuarkusTest
@TestProfile(HeldSeats.class)
class BrowserHeldSeatTest {

    @TestHTTPResource("/")
    URI base;

    private static By member(String user, String state) {
        return By.cssSelector("#members li" + state + "[data-user='" + user + "']");
    }

    /** The tab stops answering health pings, is evicted as stale and comes back to its seat on its own. */
    @Test
    void aPlayersOwnTabSaysItGotItsSeatBack() {
        String lobby = Tokens.unique("browser");
        String alice = Tokens.unique("alice");
        try (Browser a = Browser.open();
                TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("watcher")))) {
            a.get(base + "?user=" + alice + "&lobby=" + lobby).awaitState("open");
            // The page asks a member for the board (a direct message); pings come every second.
            Predicate<JsonObject> chatter = frame -> Set.of("health_ping", "direct_message").contains(frame.getString("type"));
            watcher.expectSkipping("member_joined", chatter);
            a.driver().findElement(By.id("hang")).click();

            JsonObject away = watcher.expectSkipping("member_away", chatter);
            assertEquals("stale", away.getString("reason"), away::encode);
            watcher.expectSkipping("member_back", chatter);
            a.awaitText(By.id("notice"), "You got your seat back");
        }
    }

    /**
     * The tab reaches the server only through a TCP proxy, page and dev token included. The proxy cuts the network
     * (every connection reset, new ones refused): the page says the server cannot be reached and shows no stale
     * members; once the network is back the tab takes its seat back, and the other member saw it away, then back.
     */
    @Test
    void aTabWhoseNetworkIsCutSaysSoAndTakesItsSeatBackWhenItReturns() throws IOException {
        String lobby = Tokens.unique("browser");
        String alice = Tokens.unique("alice");
        String watcherId = Tokens.unique("watcher");
        try (RedisProxy network = RedisProxy.start(base.getPort()); Browser a = Browser.open();
                TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(watcherId))) {
            a.get("http://127.0.0.1:" + network.port() + "/?user=" + alice + "&lobby=" + lobby).awaitState("open");
            Predicate<JsonObject> chatter = frame -> Set.of("health_ping", "direct_message").contains(frame.getString("type"));
            watcher.expectSkipping("member_joined", chatter);
            a.await(d -> !d.findElements(member(watcherId, ":not(.away)")).isEmpty());

            network.cut();
            a.awaitText(By.id("notice"), "The server cannot be reached");
            assertEquals(0, a.driver().findElements(By.cssSelector("#members li")).size(), "no stale members shown");
            JsonObject away = watcher.expectSkipping("member_away", chatter);
            assertEquals(alice, away.getString("user_id"));
            assertEquals("dropped", away.getString("reason"), away::encode);

            network.restore();
            a.awaitText(By.id("notice"), "You got your seat back");
            a.await(d -> !d.findElements(member(watcherId, ":not(.away)")).isEmpty());
            // Back, and never left or joined: anything else before member_back fails here.
            assertEquals(alice, watcher.expectSkipping("member_back", chatter).getString("user_id"));
        }
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
            // Greyed, with the seconds its seat is still held.
            a.awaitText(member(bob, ".away"), "away · ");

            try (TestSocket back = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
                a.await(d -> !d.findElements(member(bob, ":not(.away)")).isEmpty());
                a.awaitText(By.id("log"), bob + " is back");
            }
        }
    }
}
