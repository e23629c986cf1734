package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.cluster.redis.RedisNodeMembership.Lease;
import dev.lobbyhub.cluster.redis.RedisNodeMembership.LostSeat;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;

/** Node leases and the reaping of dead nodes against a real Redis, nodes simulated by their ids. */
class RedisNodeMembershipTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration REDIS_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LONG_LEASE = Duration.ofMinutes(5);
    /** Short enough to run out during a test, long enough to claim seats first on a busy machine. */
    private static final Duration SHORT_LEASE = Duration.ofSeconds(3);

    private static RedisTestClient backend;
    private static Redis redis;
    private static RedisSeatStore seats;
    private static RedisNodeMembership keeper;

    @BeforeAll
    static void start() throws Exception {
        backend = RedisTestClient.start();
        redis = backend.redis();
        seats = new RedisSeatStore(redis, "lobbyhub", REDIS_TIMEOUT);
        keeper = node("keeper", LONG_LEASE);
        await(keeper.register());
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void aNodeThatRenewsInTimeStaysActive() {
        RedisNodeMembership node = node(Tokens.unique("steady"), LONG_LEASE);
        await(node.register());

        assertEquals(Lease.ACTIVE, await(node.renew()));
        assertInstanceOf(SeatStore.Seated.class, claim(Tokens.unique("l"), Tokens.unique("u"), nodeIdOf(node)));
    }

    @Test
    void aNodeThatStopsRenewingLosesItsSeatsOnceAndLearnsItOnItsNextRenewal() {
        String dead = Tokens.unique("dead");
        RedisNodeMembership node = node(dead, SHORT_LEASE);
        await(node.register());
        String lobby = Tokens.unique("l");
        Set<String> conns = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            String conn = Tokens.unique("c");
            conns.add(conn);
            assertInstanceOf(SeatStore.Seated.class, seats.claim(new SeatStore.Seat(lobby, "u" + i + lobby, conn, dead, null),
                    10, OnDuplicate.REPLACE).await().atMost(WAIT));
        }

        List<LostSeat> reaped = new ArrayList<>();
        Awaitility.await().atMost(WAIT).until(() -> {
            reaped.addAll(await(keeper.reap(100)).lost());
            return reaped.size() >= 3;
        });

        assertEquals(conns, reaped.stream().map(LostSeat::connectionId).collect(java.util.stream.Collectors.toSet()));
        assertTrue(reaped.stream().allMatch(seat -> seat.nodeId().equals(dead) && seat.lobby().equals(lobby)));
        assertTrue(await(keeper.reap(100)).lost().stream().noneMatch(seat -> conns.contains(seat.connectionId())),
                "a second reap frees nothing of it again");
        SeatStore.Seated newcomer = (SeatStore.Seated) claim(lobby, Tokens.unique("new"), "keeper");
        assertEquals(1, newcomer.members().size(), "the dead node's seats are free");

        assertEquals(Lease.LOST, await(node.renew()), "a reaped node is told, not silently renewed");
        assertEquals(new SeatStore.Refused(CloseCode.BACKPLANE_UNAVAILABLE), claim(lobby, Tokens.unique("u"), dead));
        await(node.register());
        assertInstanceOf(SeatStore.Seated.class, claim(lobby, Tokens.unique("u"), dead));
    }

    @Test
    void aLateNodeThatNobodyReapedKeepsItsSeats() {
        String slow = Tokens.unique("slow");
        RedisNodeMembership node = node(slow, Duration.ofMillis(200));
        await(node.register());
        String conn = Tokens.unique("c");
        seats.claim(new SeatStore.Seat(Tokens.unique("l"), Tokens.unique("u"), conn, slow, null), 10, OnDuplicate.REPLACE)
                .await().atMost(WAIT);

        // Its deadline passes on Redis's clock; nobody reaps it meanwhile.
        Awaitility.await().atMost(WAIT).until(() -> !isAlive(slow));
        assertEquals(Lease.LATE, await(node.renew()));
        assertTrue(seats.release(conn, LeaveReason.LEFT).await().atMost(WAIT), "its seat was still there");
    }

    @Test
    void twoNodesReapingAtOnceFreeEachSeatExactlyOnce() {
        String dead = Tokens.unique("gone");
        RedisNodeMembership node = node(dead, SHORT_LEASE);
        await(node.register());
        for (int i = 0; i < 12; i++) {
            assertInstanceOf(SeatStore.Seated.class, claim(Tokens.unique("l"), Tokens.unique("u"), dead));
        }
        RedisNodeMembership other = node(Tokens.unique("other"), LONG_LEASE);
        await(other.register());

        List<String> freed = new ArrayList<>();
        Awaitility.await().atMost(WAIT).until(() -> {
            List<RedisNodeMembership.Reaped> both = Uni.join().all(keeper.reap(2), other.reap(2)).andFailFast().await()
                    .atMost(WAIT);
            both.forEach(batch -> batch.lost().stream().filter(seat -> seat.nodeId().equals(dead))
                    .forEach(seat -> freed.add(seat.connectionId())));
            return freed.size() >= 12;
        });

        assertEquals(12, freed.size());
        assertEquals(12, new HashSet<>(freed).size(), "no seat was freed twice");
        assertFalse(await(keeper.reap(100)).lost().stream().anyMatch(seat -> seat.nodeId().equals(dead)));
    }

    /** Whether the node's lease deadline is still ahead of Redis's clock, as the stats read it. */
    private static boolean isAlive(String nodeId) {
        Response stats = await(new RedisScripts(redis, "lobbyhub", REDIS_TIMEOUT).call(RedisScripts.load("cluster_stats")));
        for (Response node : stats.get(2)) {
            if (node.get(0).toString().equals(nodeId)) {
                return node.get(5).toInteger() == 1;
            }
        }
        return false;
    }

    private static RedisNodeMembership node(String id, Duration lease) {
        return new RedisNodeMembership(redis, "lobbyhub", REDIS_TIMEOUT, id, lease, 1000);
    }

    private static String nodeIdOf(RedisNodeMembership node) {
        return node.nodeId();
    }

    private static SeatStore.Claim claim(String lobby, String user, String node) {
        return seats.claim(new SeatStore.Seat(lobby, user, Tokens.unique("c"), node, null), 10, OnDuplicate.REPLACE)
                .await().atMost(WAIT);
    }

    private static <T> T await(Uni<T> answer) {
        return answer.await().atMost(WAIT);
    }
}
