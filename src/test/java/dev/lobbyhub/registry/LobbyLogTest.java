package dev.lobbyhub.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.core.json.JsonObject;

/** The single-node lobby log (SPEC §11): offsets, what it keeps, and what a member coming back can read. */
class LobbyLogTest {

    private static final long NOW = 1_000_000;
    private static final long TTL = 60_000;

    private static LobbyLog log(int size) {
        return new LobbyLog(new LobbyLog.Settings(size, TTL, 1_048_576));
    }

    private static String chat(String from, int n) {
        return new JsonObject().put("type", "lobby_message").put("from", from).put("data", n).put("ts", 1).encode();
    }

    private static List<Integer> data(List<String> frames) {
        return frames.stream().map(frame -> new JsonObject(frame).getInteger("data")).toList();
    }

    @Test
    void offsetsGrowByOneAndFramesCarryThemAsTheLastField() {
        LobbyLog log = log(10);
        assertEquals(0, log.last());
        LogEntry first = log.append(chat("a", 1), null, "a", NOW);
        LogEntry second = log.append(chat("a", 2), null, "a", NOW);
        assertEquals(1, first.offset());
        assertEquals(2, second.offset());
        assertEquals(2, log.last());
        assertEquals(new JsonObject(chat("a", 2)).put("offset", 2), new JsonObject(second.frame()));
        assertEquals(true, second.frame().endsWith(",\"offset\":2}"), second.frame());
    }

    @Test
    void aMemberReadsTheEntriesAfterItsOffsetMeantForIt() {
        LobbyLog log = log(10);
        log.append(chat("bob", 1), null, "bob", NOW); // 1
        log.append(chat("alice", 2), null, "alice", NOW); // 2: alice's own
        log.append(chat("bob", 3), "carol", null, NOW); // 3: a direct message to carol
        log.append(chat("bob", 4), "alice", null, NOW); // 4: a direct message to alice
        log.append("{\"type\":\"member_joined\",\"user_id\":\"alice\"}", null, "alice", NOW); // 5: about alice
        log.append(chat(null, 6), null, null, NOW); // 6: from the game backend
        assertEquals(List.of(1, 4, 6), data(log.missed(0, 6, "alice", NOW).stream()
                .filter(frame -> frame.contains("lobby_message")).toList()));
        assertEquals(3, log.missed(0, 6, "alice", NOW).size());
        assertEquals(List.of(4, 6), data(log.missed(3, 6, "alice", NOW)));
        assertEquals(List.of(4), data(log.missed(3, 4, "alice", NOW)), "never past the member's live point");
        List<String> carols = log.missed(0, 6, "carol", NOW);
        assertEquals(5, carols.size(), "all but the direct message to alice: " + carols);
        assertEquals(List.of(1, 2, 3, 6), data(carols.stream().filter(frame -> frame.contains("\"data\"")).toList()));
        assertEquals(List.of(), log.missed(6, 6, "alice", NOW), "nothing missed");
    }

    @Test
    void offsetsOutsideTheLogAreNotRecoverable() {
        LobbyLog log = log(10);
        log.append(chat("bob", 1), null, "bob", NOW);
        assertNull(log.missed(2, 1, "alice", NOW), "ahead of the member's live point");
        assertNull(log.missed(0, 2, "alice", NOW), "past the log's end");
        assertNull(log.missed(-1, 1, "alice", NOW), "a negative offset");
    }

    @Test
    void onlyTheLastHistorySizeEntriesAreKept() {
        LobbyLog log = log(3);
        for (int n = 1; n <= 5; n++) {
            log.append(chat("bob", n), null, "bob", NOW);
        }
        assertEquals(List.of(3, 4, 5), data(log.missed(2, 5, "alice", NOW)));
        assertNull(log.missed(1, 5, "alice", NOW), "entry 2 was dropped");
        assertEquals(List.of(5), data(log.missed(4, 5, "alice", NOW)));
    }

    @Test
    void entriesAreDroppedTheTtlAfterTheLastOneAndOffsetsGoOn() {
        LobbyLog log = log(10);
        log.append(chat("bob", 1), null, "bob", NOW);
        log.append(chat("bob", 2), null, "bob", NOW + 10);
        assertEquals(List.of(2), data(log.missed(1, 2, "alice", NOW + 10 + TTL)), "the TTL counts from the last entry");
        assertNull(log.missed(1, 2, "alice", NOW + 11 + TTL), "everything dropped after the TTL");
        assertEquals(List.of(), log.missed(2, 2, "alice", NOW + 11 + TTL), "nothing was missed, nothing is needed");
        LogEntry next = log.append(chat("bob", 3), null, "bob", NOW + 20 + TTL);
        assertEquals(3, next.offset(), "offsets never restart");
        assertEquals(List.of(3), data(log.missed(2, 3, "alice", NOW + 20 + TTL)));
        assertNull(log.missed(1, 3, "alice", NOW + 20 + TTL), "the entries before the TTL are gone for good");
    }

    @Test
    void missedFramesOverTheOutboundLimitAreNotRecovered() {
        String big = new JsonObject().put("type", "lobby_message").put("from", "bob").put("data", "x".repeat(80))
                .put("ts", 1).encode();
        int numbered = big.length() + ",\"offset\":1".length();
        LobbyLog log = new LobbyLog(new LobbyLog.Settings(10, TTL, 2 * numbered + numbered / 2));
        log.append(big, null, "bob", NOW);
        log.append(big, null, "bob", NOW);
        assertEquals(2, log.missed(0, 2, "alice", NOW).size(), "two frames fit");
        log.append(big, null, "bob", NOW);
        assertNull(log.missed(0, 3, "alice", NOW), "three do not");
        assertEquals(2, log.missed(1, 3, "alice", NOW).size());
    }

    @Test
    void withTheLogOffOffsetsAreCountedButFramesCarryNoneAndNothingIsKept() {
        LobbyLog log = new LobbyLog(LobbyLog.Settings.OFF);
        String frame = chat("bob", 1);
        LogEntry entry = log.append(frame, null, "bob", NOW);
        assertEquals(1, entry.offset());
        assertEquals(frame, entry.frame());
        assertNull(log.missed(0, 1, "alice", NOW));
    }
}
