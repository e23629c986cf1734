package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.lobbyhub.cluster.LobbyDirectoryContract;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.LobbyStates;
import dev.lobbyhub.registry.SeatStore;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.redis.client.Command;

/** The lobby directory and reservations on a real Redis: {@code directory.lua} and the seat scripts together. */
class RedisLobbyDirectoryTest extends LobbyDirectoryContract {

    private static final String PREFIX = "dirtest";
    private static final String NODE = "node-d";
    /** Short, so that the expiry test waits little; long enough for any other test's few calls. */
    private static final long RESERVATION_MS = 2000;

    private static RedisTestClient backend;
    private static Redis redis;
    private static RedisSeatStore store;
    private static RedisNodeMembership membership;

    @BeforeAll
    static void start() throws Exception {
        backend = RedisTestClient.start();
        redis = backend.redis();
        store = new RedisSeatStore(redis, PREFIX, Duration.ofSeconds(2), RESERVATION_MS);
        membership = new RedisNodeMembership(redis, PREFIX, Duration.ofSeconds(2), NODE, Duration.ofMinutes(5), 100);
        membership.register().await().atMost(WAIT);
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    @Override
    protected LobbyDirectory directory() {
        return store;
    }

    @Override
    protected SeatStore seats() {
        return store;
    }

    @Override
    protected LobbyStates states() {
        return store;
    }

    @Override
    protected String node() {
        return NODE;
    }

    /** Every node's reaper ends reservations past their deadline: reap until none is left. */
    @Override
    protected void expireReservations() {
        String reservations = RedisScripts.keyBase(PREFIX) + "resv";
        Awaitility.await().atMost(Duration.ofMillis(RESERVATION_MS + 10_000)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    membership.reap(1000).await().atMost(WAIT);
                    return redis.send(Request.cmd(io.vertx.mutiny.redis.client.Command.create(Command.ZCARD.toString()))
                            .arg(reservations)).await().atMost(WAIT).toLong() == 0;
                });
    }
}
