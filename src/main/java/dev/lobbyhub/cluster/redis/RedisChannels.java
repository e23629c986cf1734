package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;

/**
 * A node's subscriptions: one dedicated Redis connection (a subscribed connection can do nothing
 * else) carrying every channel the node listens to, so that Redis delivers them to it in the one
 * order it executed the publishes, across channels too.
 *
 * <p>
 * Channels are counted: {@link #acquire} subscribes on the first hold, {@link #release} unsubscribes
 * with the last, and both are handed to one Vert.x context's queue in call order, so Redis sees them
 * in the order they were asked and the last word is always right. The client completes a
 * {@code SUBSCRIBE} when its bytes are written; {@link #acquire} completes only when Redis's own
 * confirmation comes back on the connection, so a message published after that is received.
 *
 * <p>
 * A frozen or silent Redis neither answers nor ends the connection, so silence proves nothing:
 * {@link #probe} publishes to a channel of this node's own and waits to receive it, and
 * {@link #replace} opens a new connection and subscribes every held channel again.
 */
public final class RedisChannels implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisChannels.class);
    /** What a probe message starts with; no frame lobbyhub publishes does (they are JSON). */
    private static final String PROBE = "lobbyhub-probe:";

    private final Redis redis;
    private final Context context;
    private final Duration timeout;
    private final Function<io.vertx.mutiny.redis.client.Request, Uni<io.vertx.mutiny.redis.client.Response>> publisher;

    // Only touched on the context.
    private final Map<String, Held> held = new HashMap<>();
    /** Per channel, the holds waiting for Redis to confirm a SUBSCRIBE, in the order they were sent. */
    private final Map<String, ArrayDeque<Held>> unconfirmed = new HashMap<>();
    private RedisConnection subscriber;
    private boolean closed;

    /** Written on the context, read anywhere. */
    private volatile boolean connected;
    /** The last connection whose refusal was logged. */
    private volatile RedisConnection refusedOn;
    private final Map<String, Consumer<String>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Runnable> probes = new ConcurrentHashMap<>();
    private final AtomicLong probeCount = new AtomicLong();
    private volatile Runnable onEnd = () -> {
    };
    private volatile BiConsumer<String, String> otherChannels = (channel, payload) -> {
    };

    /** One held channel. */
    private static final class Held {
        int holds;
        /** Completes when Redis confirmed the current subscription; replaced when the connection is. */
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
    }

    /**
     * Channels over {@code redis}, not connected yet ({@link #replace} connects); probes are
     * published with {@code publisher}, on this node's command connection.
     */
    public RedisChannels(Redis redis, Context context, Duration timeout,
            Function<io.vertx.mutiny.redis.client.Request, Uni<io.vertx.mutiny.redis.client.Response>> publisher) {
        this.redis = redis;
        this.context = context;
        this.timeout = timeout;
        this.publisher = publisher;
    }

    /** Whether a subscriber connection is open (as far as the client knows: a frozen Redis needs {@link #probe}). */
    public boolean isConnected() {
        return connected;
    }

    /** Runs when Redis ends the subscriber connection (a restart): every subscription is gone then. */
    public void onEnd(Runnable action) {
        this.onEnd = action;
    }

    /** Receives the messages of channels held without a listener of their own, with the channel's name. */
    public void onOtherChannels(BiConsumer<String, String> listener) {
        this.otherChannels = listener;
    }

    /**
     * Holds a channel (its messages go to {@link #onOtherChannels}); completes when Redis has
     * confirmed the subscription, fails after the timeout. Pair every call with {@link #release}.
     */
    public Uni<Void> acquire(String channel) {
        return hold(channel, null);
    }

    /** Holds a channel whose messages go to {@code listener}. */
    public Uni<Void> acquire(String channel, Consumer<String> listener) {
        return hold(channel, listener);
    }

    private Uni<Void> hold(String channel, Consumer<String> listener) {
        CompletableFuture<CompletableFuture<Void>> confirmation = new CompletableFuture<>();
        context.runOnContext(v -> {
            if (listener != null) {
                listeners.put(channel, listener);
            }
            Held channelHeld = held.computeIfAbsent(channel, name -> new Held());
            if (channelHeld.holds++ == 0 && subscriber != null) {
                subscribe(subscriber, channel, channelHeld);
            }
            confirmation.complete(channelHeld.confirmed);
        });
        return Uni.createFrom().completionStage(confirmation).chain(confirmed -> Uni.createFrom().completionStage(confirmed))
                .ifNoItem().after(timeout).failWith(() -> new RedisScripts.BackplaneTimeout("subscribe", timeout));
    }

    /** Gives up one hold of a channel; the last one unsubscribes. */
    public void release(String channel) {
        context.runOnContext(v -> {
            Held channelHeld = held.get(channel);
            if (channelHeld == null || --channelHeld.holds > 0) {
                return;
            }
            held.remove(channel);
            listeners.remove(channel);
            if (subscriber != null) {
                subscriber.send(Request.cmd(Command.UNSUBSCRIBE).arg(channel));
            }
        });
    }

    private void subscribe(RedisConnection connection, String channel, Held channelHeld) {
        unconfirmed.computeIfAbsent(channel, name -> new ArrayDeque<>()).add(channelHeld);
        connection.send(Request.cmd(Command.SUBSCRIBE).arg(channel));
    }

    /**
     * Opens a new subscriber connection, dropping the current one if any, and subscribes every held
     * channel on it; completes once Redis has confirmed them all. At start, and whenever the
     * subscription may be gone or silent.
     */
    public Uni<Void> replace() {
        CompletableFuture<List<CompletableFuture<Void>>> subscribed = new CompletableFuture<>();
        context.runOnContext(v -> {
            drop();
            redis.connect().onComplete(result -> context.runOnContext(x -> {
                if (result.failed()) {
                    subscribed.completeExceptionally(result.cause());
                    return;
                }
                RedisConnection connection = result.result();
                if (closed || subscriber != null) {
                    // Closed meanwhile, or another replace won: this one is not needed.
                    connection.close();
                    subscribed.completeExceptionally(new IllegalStateException("superseded"));
                    return;
                }
                connection.handler(push -> dispatch(connection, push));
                connection.endHandler(y -> context.runOnContext(z -> ended(connection)));
                connection.exceptionHandler(failure -> context.runOnContext(z -> ended(connection)));
                subscriber = connection;
                connected = true;
                List<CompletableFuture<Void>> all = new ArrayList<>();
                held.forEach((channel, channelHeld) -> {
                    subscribe(connection, channel, channelHeld);
                    all.add(channelHeld.confirmed);
                });
                subscribed.complete(all);
            }));
        });
        return Uni.createFrom().completionStage(subscribed)
                .chain(all -> Uni.createFrom().completionStage(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))))
                .replaceWithVoid()
                .ifNoItem().after(timeout).failWith(() -> new RedisScripts.BackplaneTimeout("subscribe", timeout));
    }

    /** Closes the current subscriber, if any; every held channel waits for a new confirmation. On the context. */
    private void drop() {
        RedisConnection dropped = subscriber;
        subscriber = null;
        connected = false;
        unconfirmed.clear();
        for (Held channelHeld : held.values()) {
            if (channelHeld.confirmed.isDone()) {
                channelHeld.confirmed = new CompletableFuture<>();
            }
        }
        if (dropped != null) {
            dropped.close();
        }
    }

    private void ended(RedisConnection connection) {
        if (subscriber == connection) {
            drop();
            onEnd.run();
        }
    }

    /** Publishes one message on the command connection; answers how many subscribers (nodes) Redis handed it to. */
    public Uni<Long> publish(String channel, String message) {
        return publisher.apply(io.vertx.mutiny.redis.client.Request.cmd(io.vertx.mutiny.redis.client.Command.PUBLISH)
                .arg(channel).arg(message))
                .ifNoItem().after(timeout).fail().map(io.vertx.mutiny.redis.client.Response::toLong);
    }

    /**
     * Proves the subscription alive: publishes a probe to {@code ownChannel}, a channel this node
     * holds, and completes when the probe comes back through the subscriber; fails after the
     * timeout. Probes never reach the channel's listener.
     */
    public Uni<Void> probe(String ownChannel) {
        String probe = PROBE + probeCount.incrementAndGet() + ":" + System.nanoTime();
        return Uni.createFrom().deferred(() -> {
            // Waiting before publishing: the probe may come back on the subscriber connection before
            // the publish's own reply arrives on the other.
            CompletableFuture<Void> arrived = new CompletableFuture<>();
            probes.put(probe, () -> arrived.complete(null));
            return publish(ownChannel, probe).chain(() -> Uni.createFrom().completionStage(arrived));
        })
                // One bound for the round trip (a second one on the publish would fail later with nobody listening).
                .ifNoItem().after(timeout).fail()
                .onTermination().invoke(() -> probes.remove(probe));
    }

    private void dispatch(RedisConnection from, Response push) {
        // ["message", channel, payload] and ["subscribe", channel, count] (RESP3 pushes); an error
        // reply (a Redis that wants a password) has neither shape.
        if (push == null || (push.type() != ResponseType.PUSH && push.type() != ResponseType.MULTI)) {
            if (refusedOn != from) {
                refusedOn = from; // one line per connection, not one per channel
                LOG.warnf("cluster: Redis refused the subscription: %s", push == null ? "no answer" : push.toString());
            }
            return;
        }
        if (push.size() != 3) {
            return;
        }
        String kind = push.get(0).toString();
        if ("message".equals(kind)) {
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
        } else if ("subscribe".equals(kind)) {
            String channel = push.get(1).toString();
            context.runOnContext(v -> confirmed(from, channel));
        }
    }

    private void confirmed(RedisConnection from, String channel) {
        if (from != subscriber) {
            return; // a connection dropped since: its confirmations are not for the holds now waiting
        }
        ArrayDeque<Held> waiting = unconfirmed.get(channel);
        Held channelHeld = waiting == null ? null : waiting.poll();
        if (waiting != null && waiting.isEmpty()) {
            unconfirmed.remove(channel);
        }
        if (channelHeld != null) {
            channelHeld.confirmed.complete(null);
        }
    }

    @Override
    public void close() {
        context.runOnContext(v -> {
            closed = true;
            drop();
        });
    }
}
