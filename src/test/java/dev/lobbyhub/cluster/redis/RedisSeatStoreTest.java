package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.cluster.SeatStore;
import dev.lobbyhub.cluster.SeatStore.Claim;
import dev.lobbyhub.cluster.SeatStore.Refused;
import dev.lobbyhub.cluster.SeatStore.Seat;
import dev.lobbyhub.cluster.SeatStore.Seated;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.testing.RedisServer;
import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisOptions;

/** The seat store's rules against a real Redis, with three simulated nodes racing each other. */
class RedisSeatStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String PREFIX = "lobbyhub";
    private static final List<String> NODES = List.of("node-a", "node-b", "node-c");

    private static RedisServer server;
    private static Vertx vertx;
    private static Redis redis;
    private static RedisSeatStore seats;

    @BeforeAll
    static void start() throws Exception {
        server = RedisServer.start();
        vertx = Vertx.vertx();
        // As in production (application.properties): a connect storm must queue, not fail.
        redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.uri()).setMaxPoolWaiting(1024));
        seats = new RedisSeatStore(redis, PREFIX, Duration.ofSeconds(2));
        for (String node : NODES) {
            new RedisNodeMembership(redis, PREFIX, Duration.ofSeconds(2), node, Duration.ofMinutes(5), 100).register()
                    .await().atMost(WAIT);
        }
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (vertx != null) {
            vertx.closeAndAwait();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void thirtyClientsOnThreeNodesRacingForTenSeatsGetExactlyTen() {
        for (int round = 0; round < 5; round++) {
            String lobby = Tokens.unique("race");
            List<Uni<Claim>> claims = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                claims.add(seats.claim(new Seat(lobby, "player-" + i + "-" + lobby, "conn-" + i + "-" + lobby,
                        NODES.get(i % 3), null), 10, OnDuplicate.REPLACE));
            }
            List<Claim> answers = Uni.join().all(claims).andFailFast().await().atMost(WAIT);
            Map<String, Long> outcome = answers.stream().collect(Collectors.groupingBy(
                    claim -> claim instanceof Refused refused ? refused.code().reason() : "seated", Collectors.counting()));
            assertEquals(Map.of("seated", 10L, "lobby_full", 20L), outcome);
        }
    }

    @Test
    void returningUserTakesTheirOwnSeatInAFullLobby() {
        String lobby = Tokens.unique("full");
        for (int i = 0; i < 3; i++) {
            seated(claim(lobby, "u" + i, "c" + i + lobby, NODES.get(i), 3, OnDuplicate.REPLACE));
        }
        Seated again = seated(claim(lobby, "u0", "again" + lobby, "node-b", 3, OnDuplicate.REPLACE));

        assertEquals(new SeatStore.Displaced("c0" + lobby, "node-a", lobby), again.displaced());
        assertEquals(3, again.members().size());
        assertTrue(again.members().contains("u0"));
    }

    @Test
    void joiningAnotherLobbyFreesTheSeatOfTheOldOne() {
        String first = Tokens.unique("first");
        String second = Tokens.unique("second");
        String user = Tokens.unique("mover");
        seated(claim(first, user, "old-" + user, "node-a", 10, OnDuplicate.REPLACE));
        Seated moved = seated(claim(second, user, "new-" + user, "node-c", 10, OnDuplicate.REPLACE));

        assertEquals(new SeatStore.Displaced("old-" + user, "node-a", first), moved.displaced());
        assertEquals(List.of(user), moved.members());
        Seated other = seated(claim(first, Tokens.unique("other"), Tokens.unique("c"), "node-b", 10, OnDuplicate.REPLACE));
        assertFalse(other.members().contains(user), "the old lobby no longer counts the user");
    }

    @Test
    void rejectPolicyRefusesASecondConnectionOnAnyNode() {
        String user = Tokens.unique("once");
        Seated first = seated(claim(Tokens.unique("l"), user, "one-" + user, "node-a", 10, OnDuplicate.REJECT));
        assertNull(first.displaced());

        Claim second = claim(Tokens.unique("l"), user, "two-" + user, "node-b", 10, OnDuplicate.REJECT);

        assertEquals(new Refused(CloseCode.DUPLICATE_SESSION), second);
    }

    @Test
    void releaseFreesOnceAndNeverTheUsersNewerConnection() {
        String lobby = Tokens.unique("release");
        String user = Tokens.unique("u");
        seated(claim(lobby, user, "older-" + user, "node-a", 10, OnDuplicate.REPLACE));
        seated(claim(lobby, user, "newer-" + user, "node-b", 10, OnDuplicate.REPLACE));

        assertFalse(release("older-" + user), "the displaced connection holds no seat");
        assertTrue(release("newer-" + user));
        assertFalse(release("newer-" + user), "a second release changes nothing");
        Seated next = seated(claim(lobby, Tokens.unique("next"), Tokens.unique("c"), "node-c", 10, OnDuplicate.REPLACE));
        assertFalse(next.members().contains(user));
    }

    @Test
    void aReleasedConnectionCannotBeSeatedByALateClaim() {
        String conn = Tokens.unique("late");
        assertFalse(release(conn));

        assertEquals(new Refused(CloseCode.NORMAL), claim(Tokens.unique("l"), Tokens.unique("u"), conn, "node-a", 10,
                OnDuplicate.REPLACE));
    }

    @Test
    void aNodeWithoutALeaseAdmitsNobody() {
        assertEquals(new Refused(CloseCode.BACKPLANE_UNAVAILABLE),
                claim(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"), "node-never-registered", 10,
                        OnDuplicate.REPLACE));
    }

    @Test
    void sequenceNumbersGrowWithEverySeatChange() {
        String lobby = Tokens.unique("seq");
        long first = seated(claim(lobby, Tokens.unique("a"), Tokens.unique("c"), "node-a", 10, OnDuplicate.REPLACE)).sequence();
        long second = seated(claim(lobby, Tokens.unique("b"), Tokens.unique("c"), "node-b", 10, OnDuplicate.REPLACE)).sequence();
        assertTrue(second > first, first + " then " + second);
    }

    @Test
    void scriptsAreSentAgainAfterRedisForgotThem() {
        redis.send(Request.cmd(io.vertx.mutiny.redis.client.Command.create(Command.SCRIPT.toString())).arg("FLUSH"))
                .await().atMost(WAIT);

        seated(claim(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"), "node-a", 10, OnDuplicate.REPLACE));
    }

    @Test
    void aFrozenRedisFailsTheClaimWithinTheTimeout() throws Exception {
        RedisSeatStore impatient = new RedisSeatStore(redis, PREFIX, Duration.ofMillis(300));
        server.freeze();
        try {
            long started = System.nanoTime();
            Uni<Claim> claim = impatient.claim(new Seat(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"),
                    "node-a", null), 10, OnDuplicate.REPLACE);
            RuntimeException failure = assertThrows(RuntimeException.class, () -> claim.await().atMost(WAIT));
            assertInstanceOf(RedisScripts.BackplaneTimeout.class, failure);
            assertTrue(System.nanoTime() - started < WAIT.toNanos());
        } finally {
            server.thaw();
        }
        seated(claim(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"), "node-a", 10, OnDuplicate.REPLACE));
    }

    private static Claim claim(String lobby, String user, String conn, String node, int max, OnDuplicate policy) {
        return seats.claim(new Seat(lobby, user, conn, node, null), max, policy).await().atMost(WAIT);
    }

    private static boolean release(String conn) {
        return seats.release(conn, LeaveReason.LEFT).await().atMost(WAIT);
    }

    private static Seated seated(Claim claim) {
        return assertInstanceOf(Seated.class, claim, claim::toString);
    }
}
