package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.cluster.Presence.LobbyCount;
import dev.lobbyhub.cluster.Presence.Member;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;

/**
 * The cluster-wide presence read from a real Redis, with seats taken on two simulated nodes. The
 * tests share one Redis and run one after another, so differences in the totals are exact.
 */
class RedisPresenceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private static RedisTestClient backend;
    private static Redis redis;
    private static RedisSeatStore seats;
    private static RedisPresence presence;

    @BeforeAll
    static void start() throws Exception {
        backend = RedisTestClient.start();
        redis = backend.redis();
        seats = new RedisSeatStore(redis, "lobbyhub", TIMEOUT);
        presence = new RedisPresence(redis, "lobbyhub", TIMEOUT);
        for (String node : List.of("node-a", "node-b")) {
            await(new RedisNodeMembership(redis, "lobbyhub", TIMEOUT, node, Duration.ofMinutes(5), 500).register());
        }
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void membersOfALobbyOnEveryNodeInJoiningOrder() {
        String lobby = Tokens.unique("both");
        seat(lobby, "first", "node-a", "Ann");
        seat(lobby, "second", "node-b", null);

        List<Member> members = await(presence.lobbyMembers(lobby));

        assertEquals(List.of("first", "second"), members.stream().map(Member::userId).toList());
        assertEquals(List.of("node-a", "node-b"), members.stream().map(Member::nodeId).toList());
        assertEquals("Ann", members.get(0).name());
        assertNull(members.get(1).name());
        assertNull(members.get(0).rttMillis(), "no round trip measured yet");
        assertTrue(members.stream().allMatch(member -> member.lobby().equals(lobby) && member.connectedAtMillis() > 0));
    }

    @Test
    void aUserIsFoundOnItsNodeUntilItsSeatIsReleased() {
        String lobby = Tokens.unique("where");
        String conn = seat(lobby, "finder", "node-b", null);

        Member found = await(presence.user("finder")).orElseThrow();
        assertEquals(lobby, found.lobby());
        assertEquals("node-b", found.nodeId());

        await(seats.release(conn, LeaveReason.LEFT));
        assertEquals(Optional.empty(), await(presence.user("finder")));
        assertEquals(List.of(), await(presence.lobbyMembers(lobby)));
    }

    @Test
    void lobbiesComeInCodeOrderAPageAtATime() {
        String prefix = Tokens.unique("page");
        seat(prefix + "-a", Tokens.unique("u"), "node-a", null);
        seat(prefix + "-b", Tokens.unique("u"), "node-a", null);
        seat(prefix + "-b", Tokens.unique("u"), "node-b", null);
        seat(prefix + "-c", Tokens.unique("u"), "node-b", null);

        assertEquals(List.of(new LobbyCount(prefix + "-a", 1), new LobbyCount(prefix + "-b", 2)),
                await(presence.lobbies(prefix + "-", 2)));
        assertEquals(List.of(new LobbyCount(prefix + "-c", 1)), await(presence.lobbies(prefix + "-b", 1)));
    }

    @Test
    void totalsAddUpTheLiveNodes() {
        Presence.Totals before = await(presence.totals());
        seat(Tokens.unique("t"), Tokens.unique("u"), "node-a", null);

        Presence.Totals after = await(presence.totals());

        assertEquals(1000, after.maxConnections(), "500 per live node");
        assertEquals(before.connections() + 1, after.connections());
        assertEquals(before.activeLobbies() + 1, after.activeLobbies());
    }

    private static String seat(String lobby, String user, String node, String name) {
        String conn = Tokens.unique("c");
        SeatStore.Claim claim = await(seats.claim(new SeatStore.Seat(lobby, user, conn, node, name), 10, OnDuplicate.REPLACE));
        assertTrue(claim instanceof SeatStore.Seated, claim::toString);
        return conn;
    }

    private static <T> T await(Uni<T> answer) {
        return answer.await().atMost(WAIT);
    }
}
