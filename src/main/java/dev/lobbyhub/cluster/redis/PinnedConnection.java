package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * One Redis connection, kept open, for everything this node changes or publishes: seat claims and
 * releases and member traffic. Redis runs the commands of one connection in the order they were
 * sent, so what one session does (its claim, its messages, its release) happens in Redis in that
 * order: a member's last message is never announced after its {@code member_left}. Commands
 * given from one thread are sent in that order. A lost connection is opened again on next use.
 */
final class PinnedConnection implements AutoCloseable {

    private final Redis redis;
    private final Duration timeout;
    private Uni<RedisConnection> connection;

    PinnedConnection(Redis redis, Duration timeout) {
        this.redis = redis;
        this.timeout = timeout;
    }

    Uni<Response> send(Request request) {
        return current().chain(open -> open.send(request));
    }

    private synchronized Uni<RedisConnection> current() {
        if (connection == null) {
            Uni<RedisConnection>[] self = new Uni[1];
            self[0] = redis.connect().ifNoItem().after(timeout).fail()
                    .invoke(open -> {
                        open.exceptionHandler(failure -> forget(self[0]));
                        open.endHandler(() -> forget(self[0]));
                    })
                    .onFailure().invoke(() -> forget(self[0]))
                    .memoize().indefinitely();
            connection = self[0];
        }
        return connection;
    }

    private synchronized void forget(Uni<RedisConnection> lost) {
        if (connection == lost) {
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.subscribe().with(RedisConnection::closeAndForget, failure -> {
            });
            connection = null;
        }
    }
}
