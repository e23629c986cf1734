package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;

/**
 * This node's place in the cluster (SPEC §9): a lease with a deadline on Redis's own clock
 * ({@code TIME}), in a sorted set, renewed well inside {@code cluster.node-timeout}, and the reaping
 * of nodes whose lease ran out. {@code renew.lua} never re-creates a node that was reaped, and
 * {@code reap.lua} frees each seat of an expired node in exactly one call and announces it on the
 * lobby's channel. A node whose lease was lost (it paused longer than the timeout, or Redis lost its
 * data) must {@link #register} again and re-claim its open connections before it admits anyone new.
 * A single node has no lease: there is no local counterpart.
 */
public final class RedisNodeMembership {

    /** What a renewal found. */
    public enum Lease {
        /** Renewed in time. */
        ACTIVE,
        /** Renewed after its deadline, but nobody had freed any of its seats yet: nothing was lost. */
        LATE,
        /** Not renewed: the node was (being) reaped; its seats were freed: register and re-claim. */
        LOST,
        /** Redis has no record of the node (it lost its data): register and put every seat back. */
        UNKNOWN
    }

    /**
     * A seat of a node whose lease ran out: freed (its lobby hears {@code member_left node_lost} once)
     * or, with seats held, held for its user's return ({@code member_away node_lost}).
     */
    public record LostSeat(String lobby, String userId, String connectionId, String nodeId, long sequence) {
    }

    /** What one reap call did: the lost nodes' seats it changed, and how many held seats it ended (their grace ran out). */
    public record Reaped(List<LostSeat> lost, int holdsEnded) {
    }


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
    /** The lobby log's size and TTL, written at registration for the scripts (SPEC §11). */
    private final int logSize;
    private final long logTtlMillis;
    /** How long a seat is held for its user's return (SPEC §10); 0: never. */
    private final long holdMillis;

    public RedisNodeMembership(Redis redis, String keyPrefix, Duration redisTimeout, String nodeId, Duration nodeTimeout,
            int maxConnections) {
        this(new RedisScripts(redis, keyPrefix, redisTimeout), nodeId, nodeTimeout, maxConnections, 200, 300_000, 0);
    }

    /**
     * Over {@code scripts}: a node sends them on its one command connection, in order with its seat
     * changes. {@code logSize} and {@code logTtlMillis}: the lobby log's settings; {@code holdMillis}:
     * how long the seats of a lost or leaving node are held (0: freed).
     */
    RedisNodeMembership(RedisScripts scripts, String nodeId, Duration nodeTimeout, int maxConnections, int logSize,
            long logTtlMillis, long holdMillis) {
        this.scripts = scripts;
        this.holdMillis = holdMillis;
        this.logSize = logSize;
        this.logTtlMillis = logTtlMillis;
        this.nodeId = nodeId;
        this.leaseMillis = nodeTimeout.toMillis();
        this.maxConnections = maxConnections;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Takes a lease for this node (at start, and after {@link Lease#LOST}). */
    public Uni<Void> register() {
        return scripts.call(REGISTER, PUBLISH, nodeId, leaseMillis, maxConnections, 0, logSize, logTtlMillis,
                holdMillis).replaceWithVoid();
    }

    /**
     * Registers into a Redis that lost its data, marked as restoring until {@link #restored}: other
     * nodes wait for it before they admit anyone, so its members' seats are not given away meanwhile.
     */
    Uni<Void> registerRestoring() {
        return scripts.call(REGISTER, PUBLISH, nodeId, leaseMillis, maxConnections, 1, logSize, logTtlMillis,
                holdMillis).replaceWithVoid();
    }

    public Uni<Lease> renew() {
        return scripts.call(RENEW, nodeId, leaseMillis, maxConnections).map(reply -> switch (reply.get(0).toString()) {
            case "ok" -> Lease.ACTIVE;
            case "late" -> Lease.LATE;
            case "unknown" -> Lease.UNKNOWN;
            default -> Lease.LOST; // expired, reaped
        });
    }

    /** A draining node's goodbye: frees (or holds, as {@code shutdown}) whatever seat it still has and removes its lease. */
    public Uni<Void> leave() {
        return scripts.call(LEAVE, PUBLISH, nodeId, holdMillis).replaceWithVoid();
    }

    /**
     * Frees (or holds) up to {@code limit} seats of nodes whose lease ran out, and ends held seats
     * whose grace ran out. Safe to run on every node at once and more than once: each seat is
     * changed, and answered, by exactly one call.
     */
    public Uni<Reaped> reap(int limit) {
        return scripts.call(REAP, PUBLISH, ANY_NODE, limit, holdMillis).map(reply -> {
            Response rows = reply.get(0);
            List<LostSeat> lost = new ArrayList<>(rows.size());
            for (Response row : rows) {
                lost.add(new LostSeat(row.get(0).toString(), row.get(1).toString(), row.get(2).toString(),
                        row.get(4).toString(), row.get(3).toLong()));
            }
            return new Reaped(lost, reply.size() > 2 ? reply.get(2).toInteger() : 0);
        });
    }

    /** Whether the seats of a lost node are held rather than freed. */
    boolean holdsSeats() {
        return holdMillis > 0;
    }
}
