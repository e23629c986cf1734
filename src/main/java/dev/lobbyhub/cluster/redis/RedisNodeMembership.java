package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.lobbyhub.cluster.NodeMembership;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;

/**
 * {@link NodeMembership} on Redis: deadlines in a sorted set, on Redis's own clock ({@code TIME});
 * {@code renew.lua} never re-creates a node that was reaped, and {@code reap.lua} frees each seat
 * of an expired node in exactly one call and announces it on the lobby's channel.
 */
public final class RedisNodeMembership implements NodeMembership {

    private static final RedisScripts.Script REGISTER = RedisScripts.load("register");
    private static final RedisScripts.Script RENEW = RedisScripts.load("renew");
    private static final RedisScripts.Script REAP = RedisScripts.load("reap");
    private static final RedisScripts.Script LEAVE = RedisScripts.load("leave");
    private static final String PUBLISH = "PUBLISH";
    /** Reap any node whose deadline passed, not one named. */
    private static final String ANY_NODE = "";

    private final RedisScripts scripts;
    private final String nodeId;
    private final long leaseMillis;
    private final int maxConnections;

    public RedisNodeMembership(Redis redis, String keyPrefix, Duration redisTimeout, String nodeId, Duration nodeTimeout,
            int maxConnections) {
        this(new RedisScripts(redis, keyPrefix, redisTimeout), nodeId, nodeTimeout, maxConnections);
    }

    /** Over {@code scripts}: a node sends them on its one command connection, in order with its seat changes. */
    RedisNodeMembership(RedisScripts scripts, String nodeId, Duration nodeTimeout, int maxConnections) {
        this.scripts = scripts;
        this.nodeId = nodeId;
        this.leaseMillis = nodeTimeout.toMillis();
        this.maxConnections = maxConnections;
    }

    public String nodeId() {
        return nodeId;
    }

    @Override
    public Uni<Void> register() {
        return scripts.call(REGISTER, PUBLISH, nodeId, leaseMillis, maxConnections, 0).replaceWithVoid();
    }

    /**
     * Registers into a Redis that lost its data, marked as restoring until {@link #restored}: other
     * nodes wait for it before they admit anyone, so its members' seats are not given away meanwhile.
     */
    Uni<Void> registerRestoring() {
        return scripts.call(REGISTER, PUBLISH, nodeId, leaseMillis, maxConnections, 1).replaceWithVoid();
    }

    @Override
    public Uni<Lease> renew() {
        return scripts.call(RENEW, nodeId, leaseMillis, maxConnections).map(reply -> switch (reply.get(0).toString()) {
            case "ok" -> Lease.ACTIVE;
            case "late" -> Lease.LATE;
            case "unknown" -> Lease.UNKNOWN;
            default -> Lease.LOST; // expired, reaped
        });
    }

    @Override
    public Uni<Void> leave() {
        return scripts.call(LEAVE, PUBLISH, nodeId).replaceWithVoid();
    }

    @Override
    public Uni<List<LostSeat>> reap(int limit) {
        return scripts.call(REAP, PUBLISH, ANY_NODE, limit).map(reply -> {
            Response rows = reply.get(0);
            List<LostSeat> lost = new ArrayList<>(rows.size());
            for (Response row : rows) {
                lost.add(new LostSeat(row.get(0).toString(), row.get(1).toString(), row.get(2).toString(),
                        row.get(4).toString(), row.get(3).toLong()));
            }
            return lost;
        });
    }
}
