package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jboss.logging.Logger;

import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.vertx.core.Vertx;

/**
 * This node's schedule in the cluster. Once a second it proves both connections alive with a
 * probe through Redis (a probe that does not come back has both replaced), retries the releases
 * that did not get through, reaps the seats of nodes whose lease ran out, and leaves lobbies it no
 * longer hosts; every {@code node-timeout / 3} it renews its lease and frees any seat Redis lists
 * for it without a connection; every {@code ping-interval} it writes its members' round-trip times.
 * While a reconciliation is due, a tick runs that instead.
 */
final class Housekeeping {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisCluster.class);
    private static final RedisScripts.Script SET_RTT = RedisScripts.load("set_rtt");
    /** Seats one reap call frees at most; the next tick goes on. */
    private static final int REAP_BATCH = 500;
    /** Round-trip times written per script call. */
    private static final int RTT_BATCH = 200;
    private static final long TICK_MS = 1000;

    private final Vertx vertx;
    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final NodeStatus status;
    private final Reconciler reconciler;
    private final SeatJanitor janitor;
    private final RedisChannels channels;
    private final RedisScripts reads;
    private final RedisNodeMembership membership;
    private final RedisPresence presence;
    private final LobbyFeeds feeds;
    private final String nodeId;
    private final String nodeChannel;
    private final Duration timeout;
    private final long renewEveryTicks;
    private final long rttEveryTicks;
    private long ticks;
    private long timer = -1;

    Housekeeping(Vertx vertx, ConnectionRegistry registry, LobbyhubMetrics metrics, NodeStatus status, Reconciler reconciler,
            SeatJanitor janitor, RedisChannels channels, RedisScripts reads, RedisNodeMembership membership,
            RedisPresence presence, LobbyFeeds feeds, String nodeId, String nodeChannel, Duration timeout,
            Duration nodeTimeout, Duration pingInterval) {
        this.vertx = vertx;
        this.registry = registry;
        this.metrics = metrics;
        this.status = status;
        this.reconciler = reconciler;
        this.janitor = janitor;
        this.channels = channels;
        this.reads = reads;
        this.membership = membership;
        this.presence = presence;
        this.feeds = feeds;
        this.nodeId = nodeId;
        this.nodeChannel = nodeChannel;
        this.timeout = timeout;
        this.renewEveryTicks = Math.max(1, nodeTimeout.toMillis() / 3 / TICK_MS);
        this.rttEveryTicks = Math.max(1, pingInterval.toMillis() / TICK_MS);
    }

    void start() {
        timer = vertx.setPeriodic(TICK_MS, id -> tick());
    }

    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private void tick() {
        ticks++;
        // This node's counts follow its own sockets, whatever reached it from Redis (or did not).
        janitor.forgetClosed(timeout.toNanos());
        if (status.reconcileDue()) {
            reconciler.reconcileInBackground();
            return;
        }
        channels.probe(nodeChannel).subscribe().with(done -> {
        }, failure -> {
            status.suspectConnections();
            status.reconcileSoon("Redis did not answer a probe within " + timeout.toMillis() + " ms");
        });
        janitor.retry(ticks % renewEveryTicks == 0);
        if (ticks % renewEveryTicks == 0) {
            renew();
        }
        membership.reap(REAP_BATCH).subscribe().with(reaped -> {
            Map<String, Long> perNode = new TreeMap<>();
            for (RedisNodeMembership.LostSeat seat : reaped.lost()) {
                perNode.merge(seat.nodeId(), 1L, Long::sum);
            }
            String what = membership.holdsSeats() ? "held, its members away as node_lost"
                    : "freed, its members left as node_lost";
            perNode.forEach((node, seats) -> LOG.warnf(
                    "cluster: node %s lost (its lease ran out): %d seats %s", node, seats, what));
            for (int i = 0; i < reaped.holdsEnded(); i++) {
                metrics.seatHold(LobbyhubMetrics.HoldOutcome.EXPIRED);
            }
        }, failure -> LOG.debugf("cluster: reap failed: %s", failure));
        feeds.leaveIdle();
        presence.totals().subscribe().with(totals -> {
            Set<String> peers = new HashSet<>();
            for (Presence.NodeLoad node : totals.nodes()) {
                if (!node.nodeId().equals(nodeId)) {
                    peers.add(node.nodeId());
                }
            }
            status.saw(totals.nodes().size(), peers);
        }, failure -> {
        });
        if (ticks % rttEveryTicks == 0) {
            writeRoundTripTimes();
        }
    }

    private void renew() {
        membership.renew().subscribe().with(lease -> {
            if (lease == RedisNodeMembership.Lease.LOST || lease == RedisNodeMembership.Lease.UNKNOWN) {
                status.reconcileSoon(lease == RedisNodeMembership.Lease.LOST ? "this node's lease ran out"
                        : "Redis no longer knows this node (it lost its data)");
            } else if (lease == RedisNodeMembership.Lease.LATE) {
                LOG.warn("cluster: this node renewed its lease late (nothing was lost)");
            }
        }, failure -> LOG.debugf("cluster: renew failed: %s", failure));
    }

    private void writeRoundTripTimes() {
        List<Object> batch = new ArrayList<>();
        for (Session session : registry.sessions()) {
            long rtt = session.rttMillis();
            if (rtt >= 0 && session.isOpen()) {
                batch.add(session.connectionId());
                batch.add(rtt);
                if (batch.size() == 2 * RTT_BATCH) {
                    sendRoundTripTimes(batch);
                    batch = new ArrayList<>();
                }
            }
        }
        if (!batch.isEmpty()) {
            sendRoundTripTimes(batch);
        }
    }

    private void sendRoundTripTimes(List<Object> batch) {
        reads.call(SET_RTT, batch.toArray()).subscribe().with(updated -> {
        }, failure -> LOG.debugf("cluster: writing round-trip times failed: %s", failure));
    }
}
