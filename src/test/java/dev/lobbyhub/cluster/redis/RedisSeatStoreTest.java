package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.registry.SeatStore.Claim;
import dev.lobbyhub.registry.SeatStore.Refused;
import dev.lobbyhub.registry.SeatStore.Seat;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.cluster.SeatStoreContract;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.redis.client.Command;

/** The seat store on a real Redis: the shared contract with three simulated nodes, plus what only Redis has. */
class RedisSeatStoreTest extends SeatStoreContract {

    private static final String PREFIX = "lobbyhub";
    private static final List<String> NODES = List.of("node-a", "node-b", "node-c");

    private static RedisTestClient backend;
    private static Redis redis;
    private static RedisSeatStore seats;

    @BeforeAll
    static void start() throws Exception {
        backend = RedisTestClient.start();
        redis = backend.redis();
        seats = new RedisSeatStore(redis, PREFIX, Duration.ofSeconds(2));
        for (String node : NODES) {
            new RedisNodeMembership(redis, PREFIX, Duration.ofSeconds(2), node, Duration.ofMinutes(5), 100).register()
                    .await().atMost(WAIT);
        }
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.close();
        }
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
    void scriptsAreSentAgainAfterRedisForgotThem() {
        redis.send(Request.cmd(io.vertx.mutiny.redis.client.Command.create(Command.SCRIPT.toString())).arg("FLUSH"))
                .await().atMost(WAIT);

        seated(claim(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"), "node-a", 10, OnDuplicate.REPLACE));
    }

    @Test
    void aFrozenRedisFailsTheClaimWithinTheTimeout() throws Exception {
        RedisSeatStore impatient = new RedisSeatStore(redis, PREFIX, Duration.ofMillis(300));
        backend.server().freeze();
        try {
            long started = System.nanoTime();
            Uni<Claim> claim = impatient.claim(new Seat(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"),
                    "node-a", null), 10, OnDuplicate.REPLACE);
            RuntimeException failure = assertThrows(RuntimeException.class, () -> claim.await().atMost(WAIT));
            assertInstanceOf(RedisScripts.BackplaneTimeout.class, failure);
            assertTrue(System.nanoTime() - started < WAIT.toNanos());
        } finally {
            backend.server().thaw();
        }
        seated(claim(Tokens.unique("l"), Tokens.unique("u"), Tokens.unique("c"), "node-a", 10, OnDuplicate.REPLACE));
    }

    @Override
    protected SeatStore seats() {
        return seats;
    }

    @Override
    protected List<String> nodes() {
        return NODES;
    }
}
