package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Finding a lobby from the browser (SPEC §13): the client library's {@code quickJoin} and {@code listLobbies}
 * against the real server, the demo page's Play button and lobby browser, and two players pressing Play at
 * once for the last seat of a lobby. Each test matches on a game mode no other test uses, so lobbies of other
 * tests never match.
 */
@QuarkusTest
class BrowserQuickJoinTest {

    private static final AdminHttp ADMIN = new AdminHttp("test-admin-key");
    /** The server's default users.reservation-ttl. */
    private static final long RESERVATION_TTL_MS = 15_000;

    @TestHTTPResource("/")
    URI base;

    /** Runs {@code body} with the client module as {@code m}; {@code done(value)} answers. */
    private static Object run(Browser browser, String body, Object... args) {
        return browser.asyncScript("const done = arguments[arguments.length - 1]; const args = arguments;"
                + "import('/lobbyhub-client.js').then(async m => { " + body + " })"
                + ".catch(e => done('failed: ' + e + ' ' + (e && e.stack)));", args);
    }

    /** A lobby with these members, made public with this mode and capacity through the admin API. */
    private JsonObject publicLobby(String code, String mode, int maxMembers) {
        return ADMIN.patch(base, "/api/v1/lobbies/" + code, new JsonObject().put("visibility", "public")
                .put("max_members", maxMembers).put("properties", new JsonObject().put("mode", mode))).ok();
    }

    private JsonObject lobby(String code) {
        return ADMIN.get(base, "/api/v1/lobbies/" + code).ok();
    }

    private static Set<String> memberIds(JsonObject lobby) {
        Set<String> ids = new HashSet<>();
        JsonArray members = lobby.getJsonArray("members");
        for (int i = 0; i < members.size(); i++) {
            ids.add(members.getJsonObject(i).getString("user_id"));
        }
        return ids;
    }

    /** The demo's join screen with the player's name typed in. */
    private Browser joinScreen(Browser page, String user) {
        page.get(base.toString());
        page.await(d -> d.findElement(By.id("play")).isDisplayed());
        page.driver().findElement(By.id("join-user")).sendKeys(user);
        return page;
    }

    /** Picks a mode in one of the page's mode lists; one the page does not offer is added to it first. */
    private static void chooseMode(Browser page, String select, String mode) {
        page.script("const s = document.getElementById(arguments[0]);"
                + " if (![...s.options].some(o => o.value === arguments[1])) {"
                + "   const o = document.createElement('option'); o.value = arguments[1]; o.textContent = arguments[1];"
                + "   s.append(o); }"
                + " s.value = arguments[1];", select, mode);
    }

    private static String lobbyCode(Browser page) {
        return (String) page.script("return window.lobby ? window.lobby.lobbyCode : null;");
    }

    /** The codes the lobby browser shows, read in one step. */
    @SuppressWarnings("unchecked")
    private static Set<String> listed(Browser page) {
        return new HashSet<>((List<String>) page.script(
                "return [...document.querySelectorAll('#lobbies li')].map(li => li.dataset.lobby);"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theLibraryQuickJoinsListsLobbiesConnectsAndReportsRefusals() {
        String mode = Tokens.unique("mode");
        String user = Tokens.unique("lib");
        String other = Tokens.unique("other");
        try (Browser browser = Browser.open()) {
            browser.get(base + "q/health/live");
            Map<String, Object> made = (Map<String, Object>) run(browser,
                    "const c = new m.LobbyClient({token: () => args[0]});"
                            + "const first = await c.quickJoin({mode: args[1]}, {maxMembers: 2});"
                            + "const again = await c.quickJoin({mode: args[1]});"
                            + "window.client = c; done({first, again, code: c.lobbyCode, state: c.state});",
                    Tokens.valid(user), mode);
            Map<String, Object> first = (Map<String, Object>) made.get("first");
            String code = (String) first.get("lobby");
            assertNotNull(code, made::toString);
            assertEquals(true, first.get("created"), "no lobby had this mode: one was made");
            long reservedMs = ((Number) first.get("reservedMs")).longValue();
            assertTrue(reservedMs > 0 && reservedMs <= RESERVATION_TTL_MS, made::toString);
            assertEquals(Set.of("lobby", "created", "reservedMs"), first.keySet());
            assertEquals(code, made.get("code"), "the client's lobby is the placed one");
            assertEquals("idle", made.get("state"), "quickJoin alone does not connect");
            Map<String, Object> again = (Map<String, Object>) made.get("again");
            assertEquals(code, again.get("lobby"), "asking again answers the same reservation");
            assertEquals(false, again.get("created"));

            JsonObject reserved = lobby(code);
            assertEquals(1, reserved.getInteger("reserved"));
            assertEquals(2, reserved.getInteger("max_members"), "maxMembers is the new lobby's capacity");
            assertEquals("public", reserved.getString("visibility"));

            // A second public lobby of the mode, so the listing has two pages of one.
            String second = Tokens.unique("second");
            try (TestSocket seated = TestSocket.joinWelcomed(base, second, Tokens.valid(other))) {
                publicLobby(second, mode, 3);
                Map<String, Object> pages = (Map<String, Object>) run(browser,
                        "const c = window.client; const filter = {properties: {mode: args[0]}, limit: 1};"
                                + "const one = await c.listLobbies(filter);"
                                + "const two = await c.listLobbies({...filter, cursor: one.nextCursor});"
                                + "done({one, two});", mode);
                Map<String, Object> one = (Map<String, Object>) pages.get("one");
                Map<String, Object> two = (Map<String, Object>) pages.get("two");
                List<Map<String, Object>> lobbies = new ArrayList<>((List<Map<String, Object>>) one.get("lobbies"));
                assertEquals(1, lobbies.size(), pages::toString);
                assertNotNull(one.get("nextCursor"), "a second page follows: " + pages);
                lobbies.addAll((List<Map<String, Object>>) two.get("lobbies"));
                assertEquals(2, lobbies.size(), pages::toString);
                assertNull(two.get("nextCursor"), pages::toString);
                Map<String, Object> reservedLine = lobbies.stream().filter(l -> code.equals(l.get("code"))).findFirst()
                        .orElseThrow(() -> new AssertionError("the quick-join lobby is listed: " + pages));
                assertEquals(Map.of("code", code, "memberCount", 0L, "max", 2L, "owner", user, "locked", false,
                        "properties", Map.of("mode", mode)), reservedLine, "a reservation is no member");
                Map<String, Object> secondLine = lobbies.stream().filter(l -> second.equals(l.get("code"))).findFirst()
                        .orElseThrow(() -> new AssertionError("the admin-made public lobby is listed: " + pages));
                assertEquals(1L, secondLine.get("memberCount"));
                assertEquals(other, secondLine.get("owner"));
            }

            // Refusals: a bad limit (400), a token the server does not accept (401), a user over its calls (429).
            Map<String, Object> refusals = (Map<String, Object>) run(browser,
                    "const describe = e => ({typed: e instanceof m.LobbyhubHttpError, name: e.name, status: e.status,"
                            + " code: e.code, message: e.message, rateLimited: e.rateLimited, retryable: e.retryable});"
                            + "const out = {};"
                            + "try { await window.client.listLobbies({limit: 0}); out.limit = 'answered'; }"
                            + " catch (e) { out.limit = describe(e); }"
                            + "try { await new m.LobbyClient({token: 'not-a-jwt'}).quickJoin({mode: args[0]});"
                            + " out.token = 'answered'; }"
                            + " catch (e) { out.token = describe(e); }"
                            + "const busy = new m.LobbyClient({token: args[1]});"
                            + "const calls = await Promise.allSettled(Array.from({length: 12},"
                            + " () => busy.listLobbies({limit: 1})));"
                            + "out.fast = calls.map(c => c.status === 'fulfilled' ? 'ok' : describe(c.reason));"
                            + "done(out);", mode, Tokens.valid(Tokens.unique("busy")));
            Map<String, Object> limit = (Map<String, Object>) refusals.get("limit");
            assertEquals(true, limit.get("typed"), refusals::toString);
            assertEquals("LobbyhubHttpError", limit.get("name"));
            assertEquals(400L, limit.get("status"));
            assertEquals("invalid_limit", limit.get("code"));
            assertFalse(((String) limit.get("message")).isEmpty());
            assertEquals(false, limit.get("rateLimited"));
            assertEquals(false, limit.get("retryable"));
            Map<String, Object> token = (Map<String, Object>) refusals.get("token");
            assertEquals(true, token.get("typed"), refusals::toString);
            assertEquals(401L, token.get("status"));
            assertEquals("invalid_token", token.get("code"));
            List<Object> fast = (List<Object>) refusals.get("fast");
            List<Map<String, Object>> limited = fast.stream().filter(Map.class::isInstance)
                    .map(r -> (Map<String, Object>) r).toList();
            assertTrue(fast.contains("ok"), fast::toString);
            assertFalse(limited.isEmpty(), () -> "12 calls at once are over 5 a second: " + fast);
            for (Map<String, Object> refusal : limited) {
                assertEquals(429L, refusal.get("status"), fast::toString);
                assertEquals("rate_limited", refusal.get("code"));
                assertEquals(true, refusal.get("rateLimited"));
                assertEquals(true, refusal.get("retryable"));
            }
            assertEquals(1, lobby(code).getInteger("reserved"), "a refused quick join changed nothing");

            // connect() takes the reserved seat.
            Map<String, Object> welcome = (Map<String, Object>) run(browser,
                    "const c = window.client; c.on('welcome', w => done(w)); c.connect();");
            assertEquals(code, welcome.get("lobby"), welcome::toString);
            assertEquals(user, welcome.get("user_id"));
            assertEquals(user, welcome.get("owner"), "a lobby made by quick join is its maker's");
            assertEquals(Map.of("mode", mode), welcome.get("properties"));
            JsonObject joined = lobby(code);
            assertEquals(Set.of(user), memberIds(joined));
            assertEquals(0, joined.getInteger("reserved"));
        }
    }

    @Test
    void theLibraryConnectsInOneCallAndNeedsALobbyToConnect() {
        String mode = Tokens.unique("mode");
        String user = Tokens.unique("one");
        try (Browser browser = Browser.open()) {
            browser.get(base + "q/health/live");
            Object refused = run(browser, "const c = new m.LobbyClient({token: args[0]});"
                    + "try { c.connect(); done('connected'); } catch (e) { done(e.message); }", Tokens.valid(user));
            assertTrue(String.valueOf(refused).contains("quickJoin"), String.valueOf(refused));
            @SuppressWarnings("unchecked")
            Map<String, Object> result = (Map<String, Object>) run(browser,
                    "const c = new m.LobbyClient({token: args[0]}); window.client = c;"
                            + "const welcomed = new Promise(resolve => c.on('welcome', resolve));"
                            + "const placed = await c.quickJoin({mode: args[1]}, {connect: true});"
                            + "const w = await welcomed; done({placed, lobby: w.lobby, state: c.state});",
                    Tokens.valid(user), mode);
            @SuppressWarnings("unchecked")
            Map<String, Object> placed = (Map<String, Object>) result.get("placed");
            assertEquals(placed.get("lobby"), result.get("lobby"), result::toString);
            assertEquals("open", result.get("state"));
            assertEquals(Set.of(user), memberIds(lobby((String) placed.get("lobby"))));
        }
    }

    @Test
    void theDemosPlayButtonPlacesThePlayerAndConnects() {
        String mode = Tokens.unique("mode");
        String first = Tokens.unique("first");
        String second = Tokens.unique("second");
        try (Browser a = Browser.open(); Browser b = Browser.open()) {
            joinScreen(a, first);
            chooseMode(a, "play-mode", mode);
            a.driver().findElement(By.id("play")).click();
            a.awaitState("open");
            String code = lobbyCode(a);
            assertNotNull(code);
            assertTrue(a.driver().findElement(By.id("game")).isDisplayed());
            assertFalse(a.driver().findElement(By.id("find")).isDisplayed());
            a.awaitText(By.id("log"), "made " + code);
            a.awaitText(By.id("owner"), "You own this lobby.");
            assertEquals(base + "?user=" + first + "&lobby=" + code, a.script("return location.href;"));
            JsonObject made = lobby(code);
            assertEquals(Set.of(first), memberIds(made));
            assertEquals(new JsonObject().put("mode", mode), made.getJsonObject("properties"), "Play asked for the mode");
            assertEquals("public", made.getString("visibility"));

            // A second player of the same mode is placed in the same lobby.
            joinScreen(b, second);
            chooseMode(b, "play-mode", mode);
            b.driver().findElement(By.id("play")).click();
            b.awaitState("open");
            assertEquals(code, lobbyCode(b));
            b.awaitText(By.id("log"), "a seat in " + code);
            a.await(d -> !d.findElements(By.cssSelector("#members li[data-user='" + second + "']")).isEmpty());
            assertEquals(Set.of(first, second), memberIds(lobby(code)));
        }
    }

    @Test
    void playWithoutANameAsksForOne() {
        try (Browser page = Browser.open()) {
            page.get(base.toString());
            page.await(d -> d.findElement(By.id("play")).isDisplayed());
            page.driver().findElement(By.id("play")).click();
            assertEquals("none", page.state(), "no client was made");
            assertTrue(page.driver().findElement(By.id("find")).isDisplayed());
            assertEquals(false, page.script("return document.getElementById('join-user').checkValidity();"));
        }
    }

    @Test
    void theLobbyBrowserListsPublicLobbiesByModeAndRoomAndJoinsOne() {
        String mode = Tokens.unique("mode");
        String otherMode = Tokens.unique("mode");
        String viewer = Tokens.unique("viewer");
        String host = Tokens.unique("host");
        String open = Tokens.unique("open");
        String full = Tokens.unique("full");
        String elsewhere = Tokens.unique("elsewhere");
        String hidden = Tokens.unique("hidden");
        try (TestSocket openHost = TestSocket.joinWelcomed(base, open, Tokens.valid(host));
                TestSocket fullHost = TestSocket.joinWelcomed(base, full, Tokens.valid(Tokens.unique("fullhost")));
                TestSocket elsewhereHost = TestSocket.joinWelcomed(base, elsewhere, Tokens.valid(Tokens.unique("eh")));
                TestSocket hiddenHost = TestSocket.joinWelcomed(base, hidden, Tokens.valid(Tokens.unique("hh")));
                Browser page = Browser.open()) {
            publicLobby(open, mode, 3);
            publicLobby(full, mode, 1);
            publicLobby(elsewhere, otherMode, 3);
            ADMIN.patch(base, "/api/v1/lobbies/" + hidden, new JsonObject().put("properties",
                    new JsonObject().put("mode", mode))).ok(); // private: never listed

            joinScreen(page, viewer);
            chooseMode(page, "browse-mode", mode);
            assertEquals(true, page.script("return document.getElementById('browse-space').checked;"));
            page.driver().findElement(By.id("browse-refresh")).click();
            page.await(d -> listed(page).equals(Set.of(open)));
            page.awaitText(By.id("browse-status"), "1 public lobby");
            String line = (String) page.script("return document.querySelector(\"#lobbies li[data-lobby='\" + arguments[0]"
                    + " + \"']\").textContent;", open);
            assertTrue(line.contains(mode) && line.contains("1/3"), line);

            // Without "with a free seat" the full lobby is listed too, its Join button off.
            page.driver().findElement(By.id("browse-space")).click();
            page.driver().findElement(By.id("browse-refresh")).click();
            page.await(d -> listed(page).equals(Set.of(open, full)));
            assertEquals(false, page.driver().findElement(By.cssSelector("button[data-join='" + full + "']")).isEnabled());
            assertEquals(true, page.driver().findElement(By.cssSelector("button[data-join='" + open + "']")).isEnabled());

            // Any mode: the other mode's lobby too.
            chooseMode(page, "browse-mode", "");
            page.driver().findElement(By.id("browse-refresh")).click();
            page.await(d -> listed(page).containsAll(Set.of(open, full, elsewhere)));
            assertFalse(listed(page).contains(hidden), "a private lobby is never listed");

            page.driver().findElement(By.cssSelector("button[data-join='" + open + "']")).click();
            page.awaitState("open");
            assertEquals(open, lobbyCode(page));
            page.await(d -> !d.findElements(By.cssSelector("#members li[data-user='" + host + "']")).isEmpty());
            assertEquals(viewer, openHost.expectSkipping("member_joined", frame -> !"member_joined".equals(frame.getString("type")))
                    .getString("user_id"));
        }
    }

    /**
     * A public lobby with one free seat; two players press Play at the same moment. Quick join is atomic: one gets
     * the seat, the other a new lobby of the same mode, and both connect.
     */
    @Test
    void twoPlayersPressPlayAtOnceForTheLastSeat() throws Exception {
        String mode = Tokens.unique("mode");
        String room = Tokens.unique("last");
        String host = Tokens.unique("host");
        String ann = Tokens.unique("ann");
        String ben = Tokens.unique("ben");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TestSocket seated = TestSocket.joinWelcomed(base, room, Tokens.valid(host));
                Browser a = Browser.open(); Browser b = Browser.open()) {
            publicLobby(room, mode, 2); // the host and one free seat
            joinScreen(a, ann);
            joinScreen(b, ben);
            chooseMode(a, "play-mode", mode);
            chooseMode(b, "play-mode", mode);

            CountDownLatch ready = new CountDownLatch(2);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> presses = new ArrayList<>();
            for (Browser page : List.of(a, b)) {
                presses.add(pool.submit(() -> {
                    ready.countDown();
                    assertTrue(go.await(10, TimeUnit.SECONDS));
                    return page.script("document.getElementById('play').click();");
                }));
            }
            assertTrue(ready.await(10, TimeUnit.SECONDS));
            go.countDown();
            for (Future<Object> press : presses) {
                press.get(Browser.WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            a.awaitState("open");
            b.awaitState("open");

            Map<String, String> placed = Map.of(ann, lobbyCode(a), ben, lobbyCode(b));
            List<String> inRoom = placed.entrySet().stream().filter(e -> room.equals(e.getValue())).map(Map.Entry::getKey)
                    .toList();
            assertEquals(1, inRoom.size(), () -> "exactly one takes the last seat: " + placed);
            String winner = inRoom.get(0);
            String loser = winner.equals(ann) ? ben : ann;
            String made = placed.get(loser);
            assertNotEquals(room, made);

            JsonObject full = lobby(room);
            assertEquals(Set.of(host, winner), memberIds(full));
            assertEquals(0, full.getInteger("reserved"));
            Predicate<JsonObject> notJoin = frame -> !"member_joined".equals(frame.getString("type"));
            assertEquals(winner, seated.expectSkipping("member_joined", notJoin).getString("user_id"));

            JsonObject fresh = lobby(made);
            assertEquals(Set.of(loser), memberIds(fresh));
            assertEquals(loser, fresh.getString("owner"), "the new lobby is its maker's");
            assertEquals(new JsonObject().put("mode", mode), fresh.getJsonObject("properties"));
            assertEquals("public", fresh.getString("visibility"));
            (winner.equals(ann) ? b : a).awaitText(By.id("log"), "made " + made);
            (winner.equals(ann) ? a : b).awaitText(By.id("log"), "a seat in " + room);
        } finally {
            pool.shutdownNow();
        }
    }
}
