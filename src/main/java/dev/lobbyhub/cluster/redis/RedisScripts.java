package dev.lobbyhub.cluster.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.lobbyhub.cluster.BackplaneUnavailableException;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;

/**
 * Runs lobbyhub's Lua scripts (resources {@code cluster/redis/}): each operation is the shared
 * prelude {@code lib.lua} plus the operation's file, sent as one script by its SHA-1 with
 * {@code EVALSHA}, and as text with {@code EVAL} when Redis does not know it (after a restart, a
 * {@code SCRIPT FLUSH} or a failover), which also caches it again. Every call names the one key
 * base, {@code <prefix>:{<prefix>}:}, so all keys share a hash slot and the scripts also run on
 * Redis Cluster; every call is bounded by {@code cluster.redis-timeout}.
 */
final class RedisScripts {

    /** One loaded operation. */
    record Script(String name, String text, String sha) {
    }

    private final Function<Request, Uni<Response>> sender;
    private final String keyBase;
    private final Duration timeout;

    /** Scripts sent through the client's pool (any free connection). */
    RedisScripts(Redis redis, String keyPrefix, Duration timeout) {
        this(redis::send, keyPrefix, timeout);
    }

    /** Scripts sent through {@code sender}, e.g. one connection that keeps their order. */
    RedisScripts(Function<Request, Uni<Response>> sender, String keyPrefix, Duration timeout) {
        this.sender = sender;
        this.keyBase = keyBase(keyPrefix);
        this.timeout = timeout;
    }

    /**
     * The layout of lobbyhub's keys (SPEC §9): raised by a release that changes them, so nodes of two
     * releases never read or write each other's keys. 2: the lobby log (per-lobby offsets, streams);
     * 3: lobby state (owner, lock, properties; SPEC §12), decided by the seat scripts.
     */
    static final int LAYOUT = 3;

    /** {@code lobbyhub} becomes {@code lobbyhub:{lobbyhub}:v3:}: starts with the prefix, hashes on it, names the layout. */
    static String keyBase(String prefix) {
        return layoutBase(prefix) + "v" + LAYOUT + ":";
    }

    /** What every layout's keys start with; layout 1's had no version after it: {@code lobbyhub:{lobbyhub}:}. */
    static String layoutBase(String prefix) {
        return prefix + ":{" + prefix + "}:";
    }

    /** Every operation's file in {@code cluster/redis/}, lib.lua aside. */
    private static final List<String> OPERATIONS = List.of("append", "claim", "cluster_stats", "directory", "leave", "lobby_members",
            "lobby_page", "lobby_state", "reap", "register", "release", "renew", "set_rtt", "user_seat");
    private static final Map<String, Script> SCRIPTS = loadAll();

    private static Map<String, Script> loadAll() {
        Map<String, Script> scripts = new LinkedHashMap<>();
        for (String operation : OPERATIONS) {
            scripts.put(operation, read(operation));
        }
        return Collections.unmodifiableMap(scripts);
    }

    /** Every operation, for a connection that loads them all when it opens. */
    static Collection<Script> all() {
        return SCRIPTS.values();
    }

    static Script load(String operation) {
        Script script = SCRIPTS.get(operation);
        if (script == null) {
            throw new IllegalArgumentException("no script " + operation);
        }
        return script;
    }

    private static Script read(String operation) {
        String text = resource("lib.lua") + "\n" + resource(operation + ".lua");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return new Script(operation, text, HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the script with these arguments (after the key base). */
    Uni<Response> call(Script script, Object... args) {
        return send(Command.EVALSHA, script.sha(), args)
                .onFailure(RedisScripts::isNoScript).recoverWithUni(() -> send(Command.EVAL, script.text(), args))
                .ifNoItem().after(timeout).failWith(() -> new BackplaneTimeout(script.name(), timeout))
                .onFailure(RedisScripts::isUnreachable).transform(RedisScripts::unavailable);
    }

    /**
     * A failure that says Redis could not be reached (no connection, a connection that ended, no
     * answer), as opposed to an error Redis answered with (a bug, or a script refusing bad input).
     */
    static boolean isUnreachable(Throwable failure) {
        return !(failure instanceof BackplaneUnavailableException) && !(failure instanceof ErrorType)
                || failure instanceof ErrorType error && isTransient(error.getMessage());
    }

    /** Redis errors that mean "not now" rather than "wrong". */
    private static boolean isTransient(String message) {
        return message != null && (message.startsWith("LOADING") || message.startsWith("BUSY")
                || message.startsWith("MASTERDOWN") || message.startsWith("READONLY") || message.startsWith("NOAUTH")
                || message.startsWith("TRYAGAIN") || message.startsWith("CLUSTERDOWN"));
    }

    static BackplaneUnavailableException unavailable(Throwable failure) {
        return new BackplaneUnavailableException("Redis is unreachable: " + failure.getMessage());
    }

    /** The members of a set under the key base ({@code name} after {@code <prefix>:{<prefix>}:}). */
    Uni<List<String>> smembers(String name) {
        return sender.apply(Request.cmd(Command.SMEMBERS).arg(keyBase + name))
                .ifNoItem().after(timeout).failWith(() -> new BackplaneTimeout("smembers", timeout))
                .onFailure(RedisScripts::isUnreachable).transform(RedisScripts::unavailable)
                .map(reply -> {
                    List<String> members = new ArrayList<>(reply.size());
                    for (Response member : reply) {
                        members.add(member.toString());
                    }
                    return members;
                });
    }

    private Uni<Response> send(Command command, String shaOrText, Object[] args) {
        Request request = Request.cmd(command).arg(shaOrText).arg(1).arg(keyBase);
        for (Object arg : args) {
            request.arg(String.valueOf(arg));
        }
        return sender.apply(request);
    }

    static boolean isNoScript(Throwable failure) {
        String message = failure.getMessage();
        return message != null && message.startsWith("NOSCRIPT");
    }

    private static String resource(String file) {
        try (InputStream in = RedisScripts.class.getClassLoader().getResourceAsStream("cluster/redis/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing resource cluster/redis/" + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Redis did not answer within {@code cluster.redis-timeout}. */
    static final class BackplaneTimeout extends BackplaneUnavailableException {
        BackplaneTimeout(String operation, Duration timeout) {
            super(operation + " got no answer from Redis within " + timeout.toMillis() + " ms");
        }
    }
}
