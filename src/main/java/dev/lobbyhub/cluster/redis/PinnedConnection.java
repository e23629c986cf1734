package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * The one Redis connection through which this node sends every command (seat scripts, lease,
 * reads and publishes; the subscriber is {@link RedisChannels}). Every command is handed to one
 * Vert.x context's task queue when it is sent, and written from there: a command sent after another
 * (in one thread, or in two threads whose calls are ordered) reaches Redis after it, and Redis runs
 * the commands of one connection in that order. So a member's last message is always published
 * before its seat's release announces {@code member_left}.
 *
 * <p>
 * A new connection first loads every script ({@code SCRIPT LOAD}), so {@code EVALSHA} finds them and
 * no command needs a second, later try; only a {@code SCRIPT FLUSH} while it is open makes one retry
 * as {@code EVAL}, which may then run after commands sent meanwhile. A connection that ends is opened
 * again on next use; {@link #replace} drops one that stopped answering (a silent network), failing
 * what was in flight on it.
 *
 * <p>
 * Items sent with {@link #sendMerged} (messages to append) that wait on the context together go out
 * as one command, written before any command sent after them: under load, one script call carries
 * many messages, which costs Redis far less than one call each; when idle, a lone item goes out at
 * the next turn of the context, as any command does.
 */
final class PinnedConnection implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PinnedConnection.class);

    private final Redis redis;
    private final Context context;
    private final Duration timeout;

    // Only touched on the context.
    private RedisConnection open;
    private boolean connecting;
    private boolean closed;
    private long attempt;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private Merge merging;
    private final List<Object> mergedItems = new ArrayList<>();
    private final List<UniEmitter<? super Response>> mergedEmitters = new ArrayList<>();

    /** How items become one command: {@code request} for items in order; its reply holds one answer per item. */
    interface Merge {
        /** One command for these items, in their order. */
        Request request(List<Object> items);

        /** The most items one command takes. */
        int maxItems();
    }

    PinnedConnection(Redis redis, Context context, Duration timeout) {
        this.redis = redis;
        this.context = context;
        this.timeout = timeout;
    }

    /** Sends a command; its place in the order is taken when the answer is subscribed to. */
    Uni<Response> send(Request request) {
        return Uni.createFrom().emitter(emitter -> context.runOnContext(v -> submit(request, emitter)));
    }

    /**
     * Sends an item merged with the others of {@code merge} waiting on the context (see the class
     * comment); completes with this item's element of the command's reply.
     */
    Uni<Response> sendMerged(Merge merge, Object item) {
        return Uni.createFrom().emitter(emitter -> context.runOnContext(v -> queueMerged(merge, item, emitter)));
    }

    private void queueMerged(Merge merge, Object item, UniEmitter<? super Response> emitter) {
        if (merging != merge) {
            flushMerged();
            merging = merge;
        }
        mergedItems.add(item);
        mergedEmitters.add(emitter);
        if (mergedItems.size() == 1) {
            context.runOnContext(v -> flushMerged()); // after the items already waiting on the context
        } else if (mergedItems.size() >= merge.maxItems()) {
            flushMerged();
        }
    }

    private void flushMerged() {
        if (mergedItems.isEmpty()) {
            return;
        }
        Request request = merging.request(List.copyOf(mergedItems));
        List<UniEmitter<? super Response>> emitters = List.copyOf(mergedEmitters);
        mergedItems.clear();
        mergedEmitters.clear();
        write(request, answer -> {
            if (answer.failed()) {
                emitters.forEach(emitter -> emitter.fail(answer.cause()));
                return;
            }
            Response reply = answer.result() == null ? null : Response.newInstance(answer.result());
            for (int i = 0; i < emitters.size(); i++) {
                if (reply == null || i >= reply.size()) {
                    emitters.get(i).fail(new IllegalStateException("Redis answered " + reply + " for " + emitters.size() + " items"));
                } else {
                    emitters.get(i).complete(reply.get(i));
                }
            }
        });
    }

    /** Drops the connection (in-flight commands fail); the next command opens a new one. */
    void replace() {
        context.runOnContext(v -> {
            if (open != null) {
                RedisConnection dropped = open;
                open = null;
                dropped.close();
            }
        });
    }

    private void submit(Request request, UniEmitter<? super Response> emitter) {
        flushMerged(); // items merged before this command go first
        write(request, answer -> {
            if (answer.succeeded()) {
                emitter.complete(answer.result() == null ? null : Response.newInstance(answer.result()));
            } else {
                emitter.fail(answer.cause());
            }
        });
    }

    private void write(Request request, Handler<AsyncResult<io.vertx.redis.client.Response>> done) {
        if (closed) {
            done.handle(Future.failedFuture(new IllegalStateException("the Redis connection is closed")));
            return;
        }
        Runnable write = () -> {
            if (open == null) {
                done.handle(Future.failedFuture(new IllegalStateException("no connection to Redis")));
                return;
            }
            open.send(request.getDelegate()).onComplete(done);
        };
        if (open != null) {
            write.run();
            return;
        }
        waiting.add(write);
        if (!connecting) {
            connect();
        }
    }

    private void connect() {
        connecting = true;
        long mine = ++attempt;
        long timer = context.owner().setTimer(timeout.toMillis(), id -> {
            if (connecting && attempt == mine) {
                connecting = false;
                attempt++;
                failWaiting();
            }
        });
        redis.connect().onComplete(result -> context.runOnContext(v -> {
            context.owner().cancelTimer(timer);
            if (attempt != mine || closed) {
                if (result.succeeded()) {
                    result.result().close();
                }
                return;
            }
            connecting = false;
            if (result.failed()) {
                LOG.debugf("cluster: connecting to Redis failed: %s", result.cause());
                failWaiting();
                return;
            }
            RedisConnection connection = result.result();
            connection.exceptionHandler(failure -> context.runOnContext(x -> lost(connection)));
            connection.endHandler(x -> context.runOnContext(y -> lost(connection)));
            open = connection;
            for (RedisScripts.Script script : RedisScripts.all()) {
                connection.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SCRIPT).arg("LOAD")
                        .arg(script.text()));
            }
            while (!waiting.isEmpty()) {
                waiting.poll().run();
            }
        }));
    }

    private void lost(RedisConnection connection) {
        if (open == connection) {
            open = null;
        }
    }

    private void failWaiting() {
        while (!waiting.isEmpty()) {
            waiting.poll().run(); // with no connection open, each fails at once
        }
    }

    @Override
    public void close() {
        context.runOnContext(v -> {
            closed = true;
            flushMerged(); // they fail: the connection is closed
            if (open != null) {
                open.close();
                open = null;
            }
            failWaiting();
        });
    }
}
