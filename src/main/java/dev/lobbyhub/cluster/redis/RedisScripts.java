package dev.lobbyhub.cluster.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

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

    /** {@code lobbyhub} becomes {@code lobbyhub:{lobbyhub}:}: starts with the prefix, hashes on it. */
    static String keyBase(String prefix) {
        return prefix + ":{" + prefix + "}:";
    }

    static Script load(String operation) {
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
                .ifNoItem().after(timeout).failWith(() -> new BackplaneTimeout(script.name(), timeout));
    }

    /** The members of a set under the key base ({@code name} after {@code <prefix>:{<prefix>}:}). */
    Uni<List<String>> smembers(String name) {
        return sender.apply(Request.cmd(Command.SMEMBERS).arg(keyBase + name))
                .ifNoItem().after(timeout).failWith(() -> new BackplaneTimeout("smembers", timeout))
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

    private static boolean isNoScript(Throwable failure) {
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
    static final class BackplaneTimeout extends RuntimeException {
        BackplaneTimeout(String operation, Duration timeout) {
            super(operation + " got no answer from Redis within " + timeout.toMillis() + " ms", null, false, false);
        }
    }
}
