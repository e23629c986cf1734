package dev.lobbyhub.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Browser;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/**
 * The client library's lobby-log recovery and its watchdog (SPEC §11, §4), run in the browser against the module
 * the server serves. Most tests play the server through a stand-in WebSocket given as {@code WebSocketImpl}, so
 * every case (a replay, a reset epoch, a connection that goes silent) is made to happen exactly; one checks the
 * real server's welcome and ack. BrowserRecoveryTest recovers from a real network cut.
 */
@QuarkusTest
class ClientRecoveryTest {

    /**
     * In the page before each test body: {@code Fake}, a WebSocket the test drives ({@code open()},
     * {@code frame(obj)}, {@code drop(code, reason)} as the server closing it; {@code sent} and {@code closed}
     * record what the client did); {@code opened(action)}, which runs {@code action} and resolves with the next
     * socket the client creates (or rejects after 5 s); {@code welcome(fields)}, a welcome frame; and
     * {@code record(client, types)}, which collects the client's events.
     */
    private static final String HARNESS = """
            class Fake {
              constructor(url) {
                this.url = url; this.readyState = 0; this.sent = []; this.closed = null;
                Fake.all.push(this);
                const waiter = Fake.waiters.shift();
                if (waiter) waiter(this);
              }
              send(text) { this.sent.push(JSON.parse(text)); }
              close(code, reason) { this.closed = {code: code ?? null, reason: reason ?? null}; this.readyState = 3; }
              open() { this.readyState = 1; return this; }
              frame(message) { if (this.onmessage) this.onmessage({data: JSON.stringify(message)}); return this; }
              drop(code, reason) { this.readyState = 3; if (this.onclose) this.onclose({code, reason}); }
            }
            Fake.all = []; Fake.waiters = [];
            const opened = (action) => new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error('no new socket within 5 s')), 5000);
              Fake.waiters.push((socket) => { clearTimeout(timer); resolve(socket); });
              action();
            });
            const welcome = (fields) => Object.assign({type: 'welcome', connection_id: 'c1', user_id: 'me',
              lobby: 'room-1', members: ['me'], ping_interval_ms: 60000, stale_after_ms: 180000,
              max_message_bytes: 65536}, fields);
            const record = (client, types) => {
              const events = [];
              for (const type of types) client.on(type, (e) => events.push({event: type, ...(Array.isArray(e) ? {list: e} : e)}));
              return events;
            };
            const options = (more) => Object.assign({lobby: 'room-1', token: 't', url: 'ws://fake', WebSocketImpl: Fake,
              backoffBaseMs: 1, backoffMaxMs: 1}, more);
            """;

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
     * Runs {@code body} (may {@code await}; ends with {@code done(value)}) with the module as {@code m} and the
     * harness, in a fresh page; answers the value passed to {@code done}.
     */
    private Map<String, Object> run(String body) {
        if (browser == null) {
            browser = Browser.open();
        }
        browser.get(base + "q/health/live");
        Object result = browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "import('/lobbyhub-client.js').then(async (m) => {\n" + HARNESS + "\n" + body + "\n})"
                + ".catch(e => done('failed: ' + (e && e.stack || e)));");
        if (!(result instanceof Map)) {
            fail("the script did not finish: " + result);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) result;
        return map;
    }

    @Test
    void resumesTheLogOnlyOnItsOwnReconnectsToTheSameLobby() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({epoch: 'e/1 +&', offset: 5}));
                s0.frame({type: 'lobby_message', from: 'a', data: 1, offset: 7, ts: 1});
                const s1 = await opened(() => s0.drop(1006, ''));
                s1.open().frame(welcome({epoch: 'e/1 +&', offset: 9, recovered: true}));
                s1.frame({type: 'member_joined', user_id: 'b', offset: 8});
                const s2 = await opened(() => s1.drop(4004, 'stale'));
                const before = {epoch: c.epoch, offset: c.offset};
                c.close();
                const afterClose = {epoch: c.epoch, offset: c.offset};
                const s3 = await opened(() => c.connect());
                const other = new m.LobbyClient(options({lobby: 'room-2'}));
                const s4 = await opened(() => other.connect());
                c.close(); other.close();
                done({urls: [s0.url, s1.url, s2.url, s3.url, s4.url], before, afterClose});
                """);
        assertEquals(List.of("ws://fake/ws/room-1?token=t",
                "ws://fake/ws/room-1?token=t&since=7&epoch=e%2F1%20%2B%26",
                // The recovered welcome's offset (9) is not the position: the replayed entry 8 is the last one seen.
                "ws://fake/ws/room-1?token=t&since=8&epoch=e%2F1%20%2B%26",
                "ws://fake/ws/room-1?token=t",
                "ws://fake/ws/room-2?token=t"), result.get("urls"));
        assertEquals(Map.of("epoch", "e/1 +&", "offset", 8L), result.get("before"));
        assertEquals(nulls("epoch", "offset"), result.get("afterClose"));
    }

    @Test
    void withTheLogOffItConnectsAsBefore() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const events = record(c, ['recovered', 'lobby_message']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({}));
                s0.frame({type: 'lobby_message', from: 'a', data: 1, ts: 1});
                s0.frame({type: 'lobby_message', from: 'a', data: 1, ts: 1});
                const logOff = {epoch: c.epoch, offset: c.offset};
                const s1 = await opened(() => s0.drop(1006, ''));
                // The log is on at the next welcome, and off again after a restart: the client asked, the server
                // did not answer, so it did not recover.
                s1.open().frame(welcome({epoch: 'E', offset: 3}));
                const s2 = await opened(() => s1.drop(1012, 'server_shutdown'));
                s2.open().frame(welcome({}));
                const s3 = await opened(() => s2.drop(1006, ''));
                c.close();
                done({urls: [s0.url, s1.url, s2.url, s3.url], logOff, events});
                """);
        assertEquals(List.of("ws://fake/ws/room-1?token=t", "ws://fake/ws/room-1?token=t",
                "ws://fake/ws/room-1?token=t&since=3&epoch=E", "ws://fake/ws/room-1?token=t"), result.get("urls"));
        assertEquals(nulls("epoch", "offset"), result.get("logOff"));
        // Frames without offsets are never taken for duplicates.
        assertEquals(List.of(
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", 1L, "ts", 1L),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", 1L, "ts", 1L),
                withNulls(Map.of("event", "recovered", "type", "recovered", "recovered", false, "since", 3L),
                        "epoch", "offset")),
                result.get("events"));
    }

    @Test
    void framesAreEmittedOnceAndReplayedPresenceLeavesTheMemberListAlone() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const events = record(c, ['lobby_message', 'member_joined', 'member_left', 'members', 'recovered']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({members: ['me', 'a'], epoch: 'E', offset: 10}));
                s0.frame({type: 'lobby_message', from: 'a', data: 'm11', offset: 11, ts: 1});
                s0.frame({type: 'member_joined', user_id: 'b', offset: 12});
                s0.frame({type: 'lobby_message', from: 'a', data: 'm11', offset: 11, ts: 1});
                const s1 = await opened(() => s0.drop(1006, ''));
                // Meanwhile b left and c joined: the welcome's members already say so.
                s1.open().frame(welcome({members: ['me', 'a', 'c'], epoch: 'E', offset: 15, recovered: true}));
                s1.frame({type: 'lobby_message', from: 'a', data: 'm12', offset: 12, ts: 1});
                s1.frame({type: 'member_left', user_id: 'b', reason: 'left', offset: 13});
                s1.frame({type: 'member_joined', user_id: 'c', offset: 14});
                s1.frame({type: 'lobby_message', from: 'c', data: 'm15', offset: 15, ts: 2});
                s1.frame({type: 'lobby_message', from: 'c', data: 'm15', offset: 15, ts: 2});
                s1.frame({type: 'lobby_message', from: 'c', data: 'm16', offset: 16, ts: 3});
                s1.frame({type: 'member_left', user_id: 'a', reason: 'left', offset: 17});
                const members = c.members;
                c.close();
                done({events, members});
                """);
        assertEquals(List.of(
                Map.of("event", "members", "list", List.of("me", "a")),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", "m11", "offset", 11L,
                        "ts", 1L),
                Map.of("event", "member_joined", "type", "member_joined", "user_id", "b", "offset", 12L),
                Map.of("event", "members", "list", List.of("me", "a", "b")),
                Map.of("event", "members", "list", List.of("me", "a", "c")),
                Map.of("event", "recovered", "type", "recovered", "recovered", true, "since", 12L, "epoch", "E",
                        "offset", 15L),
                Map.of("event", "member_left", "type", "member_left", "user_id", "b", "reason", "left", "offset", 13L,
                        "replayed", true),
                Map.of("event", "member_joined", "type", "member_joined", "user_id", "c", "offset", 14L,
                        "replayed", true),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "c", "data", "m15", "offset", 15L,
                        "ts", 2L, "replayed", true),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "c", "data", "m16", "offset", 16L,
                        "ts", 3L),
                Map.of("event", "member_left", "type", "member_left", "user_id", "a", "reason", "left", "offset", 17L),
                Map.of("event", "members", "list", List.of("me", "c"))), result.get("events"));
        assertEquals(List.of("me", "c"), result.get("members"));
    }

    /** SPEC §10: an away member is still a member; the client lists it in {@code away} until it is back or gone. */
    @Test
    void awayMembersStayMembersAndAreListedAsAwayUntilTheyAreBackOrGone() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const events = record(c, ['member_away', 'member_back', 'member_left']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({members: ['me', 'a', 'b'], away: ['b'], reconnect_grace_ms: 20000, epoch: 'E', offset: 3}));
                const atWelcome = c.away;
                s0.frame({type: 'member_away', user_id: 'a', reason: 'dropped', hold_ms: 20000, offset: 4});
                const whileAway = {members: c.members, away: c.away};
                s0.frame({type: 'member_back', user_id: 'b', offset: 5});
                s0.frame({type: 'member_left', user_id: 'a', reason: 'dropped', offset: 6});
                const after = {members: c.members, away: c.away};
                c.close();
                done({atWelcome, whileAway, after, events: events.map((e) => e.event)});
                """);
        assertEquals(List.of("b"), result.get("atWelcome"));
        assertEquals(Map.of("members", List.of("me", "a", "b"), "away", List.of("b", "a")), result.get("whileAway"));
        assertEquals(Map.of("members", List.of("me", "b"), "away", List.of()), result.get("after"));
        assertEquals(List.of("member_away", "member_back", "member_left"), result.get("events"));
    }

    @Test
    void notRecoveredLogResetGapAndAckMoveThePositionAsTheServerSays() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const events = record(c, ['lobby_message', 'recovered', 'log_reset', 'gap', 'ack']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({epoch: 'E1', offset: 40}));
                const s1 = await opened(() => s0.drop(1006, ''));
                // Not recovered (the lobby emptied meanwhile and started again): the welcome's offset is the position.
                s1.open().frame(welcome({epoch: 'E1', offset: 3, recovered: false}));
                s1.frame({type: 'lobby_message', from: 'a', data: 'm4', offset: 4, ts: 1});
                const afterWelcome = c.offset;
                s1.frame({type: 'log_reset', epoch: 'E2', offset: 1});
                s1.frame({type: 'lobby_message', from: 'a', data: 'm2', offset: 2, ts: 1});
                s1.frame({type: 'gap', from: 3, to: 5});
                s1.frame({type: 'lobby_message', from: 'a', data: 'm4 after the gap', offset: 4, ts: 1});
                s1.frame({type: 'ack', id: 'x1', offset: 9});
                s1.frame({type: 'lobby_message', from: 'a', data: 'm6', offset: 6, ts: 1});
                const s2 = await opened(() => s1.drop(1006, ''));
                c.close();
                done({events, afterWelcome, url: s2.url});
                """);
        assertEquals(4L, result.get("afterWelcome"));
        assertEquals(List.of(
                Map.of("event", "recovered", "type", "recovered", "recovered", false, "since", 40L, "epoch", "E1",
                        "offset", 3L),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", "m4", "offset", 4L,
                        "ts", 1L),
                Map.of("event", "log_reset", "type", "log_reset", "epoch", "E2", "offset", 1L),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", "m2", "offset", 2L,
                        "ts", 1L),
                Map.of("event", "gap", "type", "gap", "from", 3L, "to", 5L),
                Map.of("event", "ack", "type", "ack", "id", "x1", "offset", 9L),
                Map.of("event", "lobby_message", "type", "lobby_message", "from", "a", "data", "m6", "offset", 6L,
                        "ts", 1L)), result.get("events"));
        // The ack's offset is this client's own entry: the position is the last frame received.
        assertEquals("ws://fake/ws/room-1?token=t&since=6&epoch=E2", result.get("url"));
    }

    @Test
    void silentConnectionIsGivenUpAfterMissingPingsAndReplacedBeforeTheServerWouldEvictIt() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const states = record(c, ['state']);
                const s0 = await opened(() => c.connect());
                // Pings every 400 ms, eviction after 1500 ms of silence: given up after 1000 ms without pings, once
                // nothing at all came for 500 ms.
                s0.open().frame(welcome({epoch: 'E', offset: 1, ping_interval_ms: 400, stale_after_ms: 1500}));
                const tick = (ms) => new Promise((r) => setTimeout(r, ms));
                for (let i = 0; i < 6; i++) { await tick(200); s0.frame({type: 'health_ping', timestamp: i}); }
                // A busy lobby whose pings are late: frames keep coming, so it is alive.
                for (let i = 0; i < 15; i++) { await tick(100); s0.frame({type: 'lobby_message', from: 'a', data: i, ts: 1}); }
                const aliveSockets = Fake.all.length;
                const lastFrame = performance.now();
                const s1 = await opened(() => {});
                const silentFor = performance.now() - lastFrame;
                const oldWhileReconnecting = {readyState: s0.readyState, closed: s0.closed};
                s1.open().frame(welcome({epoch: 'E', offset: 1, recovered: true}));
                const oldAfterWelcome = s0.closed;
                c.close();
                done({aliveSockets, silentFor, pongs: s0.sent.filter((f) => f.type === 'health_pong').length,
                  oldWhileReconnecting, oldAfterWelcome, url: s1.url, states: states.map((s) => [s.state, s.code, s.reason])});
                """);
        assertEquals(1L, result.get("aliveSockets"));
        assertEquals(6L, result.get("pongs"));
        double silentFor = ((Number) result.get("silentFor")).doubleValue();
        // No ping for 1000 ms (the last came 1.5 s before the end of the busy phase), then nothing at all for 500 ms.
        assertTrue(silentFor >= 490 && silentFor < 1500, "given up after " + silentFor + " ms of silence");
        // Left open while the next connection is made, so that the server replaces it; closed once that one is in.
        assertEquals(Map.of("readyState", 1L), withoutNulls(result.get("oldWhileReconnecting")));
        assertEquals(nulls("code", "reason"), result.get("oldAfterWelcome"));
        assertEquals("ws://fake/ws/room-1?token=t&since=1&epoch=E", result.get("url"));
        assertEquals(List.of(List.of("connecting"), List.of("open"), List.of("reconnecting", 1006L, "silent"),
                List.of("open"), List.of("closed", 1000L, "normal")), compact(result.get("states")));
    }

    @Test
    void checkHeldUpByAFrozenTabGivesTheConnectionTimeToShowLife() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({ping_interval_ms: 200, stale_after_ms: 600}));
                // The tab freezes for 1.7 s: the check due after 500 ms runs 1.2 s late, with frames possibly waiting.
                const frozen = performance.now();
                while (performance.now() - frozen < 1700) { /* frozen */ }
                const thawed = performance.now();
                const s1 = await opened(() => {});
                done({after: performance.now() - thawed, url: s1.url});
                """);
        // Half the limit (250 ms) to show life; nothing came, so then it is given up.
        double after = ((Number) result.get("after")).doubleValue();
        assertTrue(after >= 240 && after < 1000, () -> "given up " + after + " ms after the tab thawed");
    }

    @Test
    void connectionWithoutAWelcomeIsGivenUpAfterTheConnectTimeout() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options({connectTimeoutMs: 200}));
                const states = record(c, ['state']);
                const started = performance.now();
                const s0 = await opened(() => c.connect());
                const s1 = await opened(() => {});
                const after = performance.now() - started;
                const first = s0.closed;
                s1.open();
                const s2 = await opened(() => {});
                const upgradedBefore = s1.closed;
                s2.open().frame(welcome({}));
                c.close();
                done({after, first, upgradedBefore, upgradedAfter: s1.closed, abandonedLeft: c.abandoned.size,
                  states: states.map((s) => [s.state, s.code, s.reason])});
                """);
        assertTrue(((Number) result.get("after")).doubleValue() >= 195, () -> "after " + result.get("after"));
        // Still connecting: closed at once. Upgraded but never welcomed: left open until the next welcome.
        assertEquals(nulls("code", "reason"), result.get("first"));
        assertNull(result.get("upgradedBefore"));
        assertEquals(nulls("code", "reason"), result.get("upgradedAfter"));
        assertEquals(0L, result.get("abandonedLeft"));
        assertEquals(List.of(List.of("connecting"), List.of("reconnecting", 1006L, "connect_timeout"),
                List.of("reconnecting", 1006L, "connect_timeout"), List.of("open"), List.of("closed", 1000L, "normal")),
                compact(result.get("states")));
    }

    @Test
    void onlineEventRetriesALostConnectionAtOnceButKeepsAWaitTheServerAskedFor() {
        Map<String, Object> result = run("""
                Math.random = () => 0.999; // every backoff is (nearly) its whole ceiling
                const c = new m.LobbyClient(options({backoffBaseMs: 600000, backoffMaxMs: 600000}));
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({epoch: 'E', offset: 2}));
                s0.drop(1006, '');
                const waiting = c.retryTimer !== null;
                const s1 = await opened(() => window.dispatchEvent(new Event('online')));
                s1.open().frame(welcome({epoch: 'E', offset: 2, recovered: true}));
                s1.drop(4002, 'server_full');
                const timer = c.retryTimer;
                window.dispatchEvent(new Event('online'));
                const kept = c.retryTimer === timer && timer !== null && c.state === 'reconnecting';
                c.close();
                const sockets = Fake.all.length;
                done({waiting, url: s1.url, kept, sockets});
                """);
        assertEquals(true, result.get("waiting"));
        assertEquals("ws://fake/ws/room-1?token=t&since=2&epoch=E", result.get("url"));
        assertEquals(true, result.get("kept"), "a server_full backoff is not cut short by the network coming back");
        assertEquals(2L, result.get("sockets"));
    }

    @Test
    void onlineEventProbesAnOpenConnectionAndGivesItUpWhenNothingAnswers() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options({probeTimeoutMs: 200}));
                const pongs = record(c, ['pong', 'state']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({epoch: 'E', offset: 1}));
                window.dispatchEvent(new Event('online'));
                const probe = s0.sent[s0.sent.length - 1];
                s0.frame({type: 'pong', id: probe.id, ts: 1});
                window.dispatchEvent(new Event('online'));
                const started = performance.now();
                const s1 = await opened(() => {});
                const after = performance.now() - started;
                c.close();
                done({probes: s0.sent.filter((f) => f.type === 'ping').map((f) => f.id), after, url: s1.url,
                  events: pongs.map((e) => [e.event, e.state, e.reason])});
                """);
        assertEquals(List.of("lobbyhub-probe-1", "lobbyhub-probe-2"), result.get("probes"));
        assertTrue(((Number) result.get("after")).doubleValue() >= 195, () -> "after " + result.get("after"));
        assertEquals("ws://fake/ws/room-1?token=t&since=1&epoch=E", result.get("url"));
        // The probe's pong is the client's own business: no pong event.
        assertEquals(List.of(List.of("state", "connecting"), List.of("state", "open"),
                List.of("state", "reconnecting", "silent"), List.of("state", "closed", "normal")),
                compact(result.get("events")));
    }

    @Test
    void duplicateSessionRightAfterGivingUpASilentConnectionIsRetried() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const states = record(c, ['state']);
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({ping_interval_ms: 100, stale_after_ms: 300}));
                const s1 = await opened(() => {});
                // on-duplicate=reject: the server still seats s0 until it evicts it as stale.
                const s2 = await opened(() => s1.drop(4011, 'duplicate_session'));
                s2.open().frame(welcome({ping_interval_ms: 60000, stale_after_ms: 180000}));
                // Now the seat was this client's: another 4011 is another tab, and final.
                s2.drop(4011, 'duplicate_session');
                done({states: states.map((s) => [s.state, s.code, s.reason]), sockets: Fake.all.length});
                """);
        assertEquals(List.of(List.of("connecting"), List.of("open"), List.of("reconnecting", 1006L, "silent"),
                List.of("reconnecting", 4011L, "duplicate_session"), List.of("open"),
                List.of("closed", 4011L, "duplicate_session")), compact(result.get("states")));
        assertEquals(3L, result.get("sockets"));
    }

    @Test
    void watchdogLimitIsTwoAndAHalfPingIntervalsAtMostStaleAfter() {
        Map<String, Object> result = run("""
                done({defaults: m.silentAfter(15000, 45000), test: m.silentAfter(1000, 3000),
                  tight: m.silentAfter(1000, 1500), noPing: m.silentAfter(0, 3000), none: m.silentAfter(undefined, undefined)});
                """);
        assertEquals(Map.of("defaults", 37500L, "test", 2500L, "tight", 1500L, "noPing", 3000L, "none", 0L), result);
    }

    @Test
    void closeForgetsThePositionAndNullsBeforeTheFirstWelcome() {
        Map<String, Object> result = run("""
                const c = new m.LobbyClient(options());
                const fresh = {epoch: c.epoch, offset: c.offset};
                const s0 = await opened(() => c.connect());
                s0.open().frame(welcome({epoch: 'E', offset: 4}));
                const connected = {epoch: c.epoch, offset: c.offset};
                c.close();
                done({fresh, connected, closedWith: s0.closed});
                """);
        assertEquals(nulls("epoch", "offset"), result.get("fresh"));
        assertEquals(Map.of("epoch", "E", "offset", 4L), result.get("connected"));
        assertEquals(Map.of("code", 1000L, "reason", "normal"), result.get("closedWith"));
    }

    /** Against the server itself: the welcome's log position is kept, and an ack leaves it alone. */
    @Test
    void serverWelcomeGivesThePositionAndAnAckGivesTheOffsetOfTheMessage() {
        String lobby = Tokens.unique("ack");
        try (TestSocket peer = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("peer")))) {
            Map<String, Object> result = run("""
                    const c = new m.LobbyClient({lobby: '%s', token: '%s'});
                    const welcomed = new Promise((resolve) => c.on('welcome', resolve));
                    const acked = new Promise((resolve) => c.on('ack', resolve));
                    c.connect();
                    const w = await welcomed;
                    const atWelcome = {epoch: c.epoch, offset: c.offset};
                    c.sendLobby({n: 1}, 'm1');
                    const ack = await acked;
                    const afterAck = c.offset;
                    c.close();
                    done({welcome: {epoch: w.epoch, offset: w.offset}, atWelcome, ack, afterAck});
                    """.formatted(lobby, Tokens.valid(Tokens.unique("player"))));
            @SuppressWarnings("unchecked")
            Map<String, Object> welcome = (Map<String, Object>) result.get("welcome");
            assertTrue(welcome.get("epoch") instanceof String, () -> "welcome " + welcome);
            assertEquals(welcome, result.get("atWelcome"));
            JsonObject relayed = peer.expectSkipping("lobby_message", f -> "member_joined".equals(f.getString("type")));
            @SuppressWarnings("unchecked")
            Map<String, Object> ack = (Map<String, Object>) result.get("ack");
            assertEquals("m1", ack.get("id"));
            assertEquals(relayed.getLong("offset"), ((Number) ack.get("offset")).longValue());
            assertTrue(relayed.getLong("offset") > ((Number) welcome.get("offset")).longValue());
            // The client's own entry is never delivered to it: its position stays where it was.
            assertEquals(welcome.get("offset"), result.get("afterAck"));
        }
    }

    /** A map of these keys to null (Map.of takes no nulls). */
    private static Map<String, Object> nulls(String... keys) {
        Map<String, Object> map = new HashMap<>();
        for (String key : keys) {
            map.put(key, null);
        }
        return map;
    }

    private static Map<String, Object> withNulls(Map<String, Object> values, String... keys) {
        Map<String, Object> map = nulls(keys);
        map.putAll(values);
        return map;
    }

    private static Map<String, Object> withoutNulls(Object value) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = new HashMap<>((Map<String, Object>) value);
        map.values().removeIf(Objects::isNull);
        return map;
    }

    /** Lists of lists with their null elements left out. */
    private static List<List<Object>> compact(Object value) {
        @SuppressWarnings("unchecked")
        List<List<Object>> lists = (List<List<Object>>) value;
        return lists.stream().map(list -> list.stream().filter(Objects::nonNull).toList()).toList();
    }
}
