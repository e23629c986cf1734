package dev.lobbyhub.cluster.redis;

import java.io.IOException;

import dev.lobbyhub.testing.RedisServer;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

/** A test's own Redis: a real {@code redis-server} and a client to it, closed together. */
final class RedisTestClient implements AutoCloseable {

    private final RedisServer server;
    private final Vertx vertx;
    private final Redis redis;

    private RedisTestClient(RedisServer server, Vertx vertx, Redis redis) {
        this.server = server;
        this.vertx = vertx;
        this.redis = redis;
    }

    static RedisTestClient start() throws IOException {
        RedisServer server = RedisServer.start();
        Vertx vertx = Vertx.vertx();
        // As in production (application.properties): a connect storm must queue, not fail.
        Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.uri()).setMaxPoolWaiting(1024));
        return new RedisTestClient(server, vertx, redis);
    }

    Redis redis() {
        return redis;
    }

    /** A Vert.x context of the test's own, for the pieces that write from one. */
    io.vertx.core.Context context() {
        return vertx.getDelegate().getOrCreateContext();
    }

    RedisServer server() {
        return server;
    }

    @Override
    public void close() {
        redis.close();
        vertx.closeAndAwait();
        server.close();
    }
}
