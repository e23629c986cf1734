package dev.lobbyhub.cluster.mode;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

/**
 * Tells the operator, in one line, when Redis refuses this node's credentials: a Redis started with
 * {@code requirepass} (or an ACL user) and no password or a wrong one in the configuration. The client opens such a
 * connection anyway (its handshake skips authentication when it has no password) and every command then fails with
 * {@code NOAUTH}, which the cluster only sees as "Redis is not answering".
 *
 * <p>
 * At startup one {@code PING} decides: refused, the line is logged and the cluster is started only once Redis
 * accepts this node (asked again every {@link #EVERY}), so nothing subscribes with a connection Redis will not serve;
 * otherwise the cluster starts at once, as before. Afterwards, while the cluster is not up (Redis restarted with a
 * password, or the password changed), the same {@code PING} runs every {@link #EVERY}, and the line is logged once per
 * such outage. A healthy cluster costs nothing.
 */
final class RedisAuthWatch {

    private static final Logger LOG = Logger.getLogger(RedisAuthWatch.class);
    static final Duration EVERY = Duration.ofSeconds(2);
    static final String LINE = "cluster: Redis refused authentication (%s): set the password in quarkus.redis.hosts"
            + " (redis://:password@host:port, or redis://user:password@host:port for an ACL user) or quarkus.redis.password;"
            + " new connections get 1013 until Redis accepts this node";

    private final Redis redis;
    private final Vertx vertx;
    private final Duration timeout;
    private final Runnable startCluster;
    private final BooleanSupplier clusterUp;

    private volatile boolean started;
    private volatile boolean reported;
    private volatile boolean asking;
    private volatile boolean stopped;
    private long timer = -1;

    RedisAuthWatch(Redis redis, Vertx vertx, Duration timeout, Runnable startCluster, BooleanSupplier clusterUp) {
        this.redis = redis;
        this.vertx = vertx;
        this.timeout = timeout;
        this.startCluster = startCluster;
        this.clusterUp = clusterUp;
    }

    /** Asks Redis once (waiting at most two Redis timeouts), starts the cluster unless it refused, then keeps watching. */
    void start() {
        String refusal;
        try {
            refusal = redis.send(Request.cmd(Command.PING)).ifNoItem().after(timeout.multipliedBy(2)).fail()
                    .map(pong -> (String) null)
                    .onFailure().recoverWithItem(RedisAuthWatch::refusal)
                    .await().indefinitely();
        } catch (RuntimeException unexpected) {
            refusal = null;
        }
        if (refusal == null) {
            started = true;
            startCluster.run();
        } else {
            report(refusal);
        }
        timer = vertx.setPeriodic(EVERY.toMillis(), id -> tick());
    }

    void stop() {
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void tick() {
        if (started && clusterUp.getAsBoolean()) {
            reported = false;
            return;
        }
        if (asking) {
            return;
        }
        asking = true;
        redis.send(Request.cmd(Command.PING)).ifNoItem().after(timeout).fail().subscribe().with(pong -> {
            asking = false;
            reported = false;
            startOnce();
        }, failure -> {
            asking = false;
            String refusal = refusal(failure);
            if (refusal != null) {
                report(refusal);
            } else {
                startOnce(); // unreachable or slow: the cluster's own reconciliation says so and retries
            }
        });
    }

    private void startOnce() {
        if (!started && !stopped) {
            started = true;
            // The cluster's start waits for Redis: never on the event loop that ran this.
            vertx.executeBlocking(() -> {
                startCluster.run();
                return null;
            }, false);
        }
    }

    private void report(String refusal) {
        if (!reported) {
            reported = true;
            LOG.errorf(LINE, refusal);
        }
    }

    /**
     * What Redis said when it refused this node's credentials, in a few words; null for any other failure. Redis
     * answers {@code NOAUTH} to a command from an unauthenticated connection and {@code WRONGPASS} to a wrong user
     * or password; Redis before 6 answers {@code ERR invalid password}.
     */
    static String refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CompletionException) {
                continue;
            }
            String message = t.getMessage();
            if (message == null) {
                continue;
            }
            if (message.startsWith("NOAUTH")) {
                return "NOAUTH: it wants a password and this node sent none";
            }
            if (message.startsWith("WRONGPASS") || message.startsWith("ERR invalid password")) {
                return "WRONGPASS: the user name or password is wrong";
            }
        }
        return null;
    }
}
