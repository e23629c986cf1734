package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * A node's subscriptions: one dedicated Redis connection (a subscribed connection can do nothing
 * else) carrying every channel the node listens to, so that Redis delivers them to it in the one
 * order it executed the publishes, across channels too. {@link #subscribe} completes only once
 * Redis has confirmed the subscription: a message published after that is received. Every wait is
 * bounded by {@code cluster.redis-timeout}.
 *
 * <p>
 * A frozen Redis neither answers nor ends the subscription, so silence proves nothing:
 * {@link #probe} publishes to a channel of this node's own and waits to receive it.
 */
public final class RedisChannels implements AutoCloseable {

    private final Redis redis;
    private volatile RedisConnection subscriber;
    private final Duration timeout;
    /** What a probe message starts with; no frame lobbyhub publishes does (they are JSON). */
    private static final String PROBE = "lobbyhub-probe:";

    private final Map<String, Consumer<String>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Runnable> probes = new ConcurrentHashMap<>();
    private final AtomicLong probeCount = new AtomicLong();
    private volatile Runnable onEnd = () -> {
    };
    private volatile BiConsumer<String, String> otherChannels = (channel, payload) -> {
    };

    /** Channels over {@code redis}, not connected yet: {@link #connect} opens the subscriber connection. */
    public RedisChannels(Redis redis, Duration timeout) {
        this.redis = redis;
        this.timeout = timeout;
    }

    /** Opens the subscriber connection; {@code redis} also publishes (from its pool). */
    public static Uni<RedisChannels> open(Redis redis, Duration timeout) {
        RedisChannels channels = new RedisChannels(redis, timeout);
        return channels.connect().replaceWith(channels);
    }

    /** Opens a new subscriber connection (at start, or after Redis ended the last one); no channel is subscribed then. */
    public Uni<Void> connect() {
        return redis.connect().ifNoItem().after(timeout).fail().invoke(connection -> {
            connection.handler(this::dispatch);
            connection.endHandler(() -> ended(connection));
            connection.exceptionHandler(failure -> ended(connection));
            subscriber = connection;
        }).replaceWithVoid();
    }

    /** Whether the subscriber connection is open (as far as the client knows: a frozen Redis needs {@link #probe}). */
    public boolean isConnected() {
        return subscriber != null;
    }

    private void ended(RedisConnection connection) {
        if (subscriber == connection) {
            subscriber = null;
            onEnd.run();
        }
    }

    /** Runs when Redis ends the subscriber connection (a restart): every subscription is gone then. */
    public void onEnd(Runnable action) {
        this.onEnd = action;
    }

    /** Receives the messages of channels subscribed without a listener of their own, with the channel's name. */
    public void onOtherChannels(BiConsumer<String, String> listener) {
        this.otherChannels = listener;
    }

    /** Listens to a channel with the {@link #onOtherChannels} listener; completes when Redis confirms. */
    public Uni<Void> subscribe(String channel) {
        return bounded(Uni.createFrom().deferred(() -> subscriber().send(Request.cmd(Command.SUBSCRIBE).arg(channel)))).replaceWithVoid();
    }

    /** Listens to a channel; completes when Redis confirms, so nothing published afterwards is missed. */
    public Uni<Void> subscribe(String channel, Consumer<String> listener) {
        listeners.put(channel, listener);
        return bounded(Uni.createFrom().deferred(() -> subscriber().send(Request.cmd(Command.SUBSCRIBE).arg(channel)))).replaceWithVoid()
                .onFailure().invoke(() -> listeners.remove(channel, listener));
    }

    public Uni<Void> unsubscribe(String channel) {
        return bounded(Uni.createFrom().deferred(() -> subscriber().send(Request.cmd(Command.UNSUBSCRIBE).arg(channel)))).replaceWithVoid()
                .invoke(() -> listeners.remove(channel));
    }

    /** Publishes one message; answers how many subscribers (nodes) Redis handed it to. */
    public Uni<Long> publish(String channel, String message) {
        return bounded(redis.send(Request.cmd(Command.PUBLISH).arg(channel).arg(message))).map(Response::toLong);
    }

    /**
     * Proves the subscription alive: publishes a probe to {@code ownChannel}, a channel this node is
     * subscribed to, and completes when the probe comes back through the subscriber; fails after
     * the timeout. Probes never reach the channel's listener.
     */
    public Uni<Void> probe(String ownChannel) {
        String probe = PROBE + probeCount.incrementAndGet() + ":" + System.nanoTime();
        return Uni.createFrom().deferred(() -> {
            // Waiting before publishing: the probe may come back on the subscriber connection before
            // the publish's own reply arrives on another.
            CompletableFuture<Void> arrived = new CompletableFuture<>();
            probes.put(probe, () -> arrived.complete(null));
            return redis.send(Request.cmd(Command.PUBLISH).arg(ownChannel).arg(probe))
                    .chain(() -> Uni.createFrom().completionStage(arrived));
        })
                // One bound for the round trip (a second one on the publish would fail later with nobody listening).
                .ifNoItem().after(timeout).fail()
                .onTermination().invoke(() -> probes.remove(probe));
    }

    private void dispatch(Response push) {
        // ["message", channel, payload] (RESP2 array or RESP3 push); subscribe confirmations answer send().
        if (push.size() == 3 && "message".equals(push.get(0).toString())) {
            String payload = push.get(2).toString();
            Runnable probe = payload.startsWith(PROBE) ? probes.remove(payload) : null;
            if (probe != null) {
                probe.run();
                return;
            }
            String channel = push.get(1).toString();
            Consumer<String> listener = listeners.get(channel);
            if (listener != null) {
                listener.accept(payload);
            } else {
                otherChannels.accept(channel, payload);
            }
        }
    }

    private RedisConnection subscriber() {
        RedisConnection connection = subscriber;
        if (connection == null) {
            throw new IllegalStateException("not connected to Redis");
        }
        return connection;
    }

    private <T> Uni<T> bounded(Uni<T> answer) {
        return answer.ifNoItem().after(timeout).fail();
    }

    @Override
    public void close() {
        RedisConnection connection = subscriber;
        subscriber = null;
        if (connection != null) {
            connection.closeAndForget();
        }
    }
}
