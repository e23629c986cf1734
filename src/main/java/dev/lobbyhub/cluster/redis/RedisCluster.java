package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.cluster.ThisNode;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ClusterSeating;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.LobbyLink;
import dev.lobbyhub.registry.SeatEvents;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;

/**
 * This node in cluster mode (SPEC §9): its two Redis connections (one for every command, in the
 * order given, and one subscriber), its lease, and the pieces built on them, from startup to the
 * end of the drain. Created only when {@code lobbyhub.cluster.enabled=true}. It is up, and admits,
 * as {@link NodeStatus} says; {@link Reconciler} brings it back in line with Redis, and
 * {@link Housekeeping} keeps the schedule.
 */
@Singleton
@Typed(RedisCluster.class)
public class RedisCluster implements BackplaneHealth {

    private static final Logger LOG = Logger.getLogger(RedisCluster.class);

    private final String nodeId;
    private final Duration timeout;
    private final PinnedConnection pinned;
    private final RedisChannels channels;
    private final RedisNodeMembership membership;
    private final NodeStatus status;
    private final RedisPresence presence;
    private final RedisBroker broker;
    private final LobbyTraffic traffic;
    private final RedisAdmitter admitter;
    private final Reconciler reconciler;
    private final Housekeeping housekeeping;
    private final OlderLayouts olderLayouts;

    RedisCluster(Instance<Redis> redisClient, LobbyhubConfig config, ConnectionRegistry registry, ThisNode here,
            LobbyhubMetrics metrics, NodeId nodeId, Vertx vertx) {
        io.vertx.redis.client.Redis redis = redisClient.get().getDelegate();
        // One event loop writes every command and subscription, in the order they were given.
        io.vertx.core.Context redisContext = vertx.getOrCreateContext();
        LobbyhubConfig.Cluster cluster = config.cluster();
        this.nodeId = nodeId.value();
        this.timeout = cluster.redisTimeout();
        String keyBase = RedisScripts.keyBase(cluster.keyPrefix());
        // Seats are held for a returning user's reconnect (SPEC §10): in Redis, by every script that frees one.
        long holdMillis = config.users().reconnectGrace().toMillis();
        this.pinned = new PinnedConnection(redis, redisContext, timeout);
        this.channels = new RedisChannels(redis, redisContext, timeout, pinned::send);
        this.status = new NodeStatus(channels);
        BackplaneMeters meters = metrics.backplane(status::liveNodes, () -> status.isUp() ? 1 : 0);
        RedisScripts reads = new RedisScripts(pinned::send, cluster.keyPrefix(), timeout);
        this.olderLayouts = new OlderLayouts(pinned, cluster.keyPrefix(), timeout);
        this.membership = new RedisNodeMembership(reads, this.nodeId, cluster.nodeTimeout(),
                config.limits().maxConnections(), config.recovery().historySize(),
                config.recovery().historyTtl().toMillis(), holdMillis);
        this.presence = new RedisPresence(reads);
        RedisSeatStore seats = new RedisSeatStore(pinned, cluster.keyPrefix(), timeout, holdMillis,
                config.users().reservationTtl().toMillis());
        RedisLobbyLog lobbyLog = new RedisLobbyLog(reads, pinned, keyBase, timeout,
                config.recovery().historySize(), config.recovery().historyTtl());
        ClusterSeating seating = new ClusterSeating(registry, seats, lobbyLog);
        registry.useSeating(seating);
        SeatSequencer sequencer = new SeatSequencer(seating.events(), seating, registry, lobbyLog,
                this::deliverLogged, metrics, this.nodeId,
                () -> status.reconcileSoon("this node's seats were freed as node_lost"));
        LobbyFeeds feeds = new LobbyFeeds(channels, reads, keyBase, registry, sequencer);
        Wire wire = new Wire(this.nodeId, keyBase, pinned, metrics, meters, timeout);
        this.traffic = new LobbyTraffic(wire, feeds, here, metrics, status::isUp, lobbyLog, registry.logOn());
        this.broker = new RedisBroker(wire, feeds, here, presence, timeout, status::isUp,
                registry.logOn() ? lobbyLog : null, seats, metrics);
        this.admitter = new RedisAdmitter(registry, seating, feeds, seats, status, meters, this.nodeId, timeout);
        String nodeChannel = wire.nodeChannel(this.nodeId);
        SeatJanitor janitor = new SeatJanitor(seating, seats, reads, this.nodeId);
        this.reconciler = new Reconciler(vertx, registry, seating, status, pinned, channels, reads, membership, seats, janitor,
                feeds, meters, this.nodeId, nodeChannel, keyBase, timeout, cluster.nodeTimeout());
        this.housekeeping = new Housekeeping(vertx, registry, metrics, status, reconciler, janitor, channels, reads, membership,
                presence, feeds, this.nodeId, nodeChannel, timeout, cluster.nodeTimeout(), config.health().pingInterval());
        // A lobby's channel carries its log's entries and the other nodes' envelopes.
        channels.onOtherChannels((channel, payload) -> {
            if (LoggedEntry.isOne(payload)) {
                feeds.onLogEntry(channel, payload);
            } else if (Envelope.isEnvelope(payload)) {
                traffic.onEnvelope(channel, payload);
            }
        });
        channels.acquire(nodeChannel, broker::onNodeMessage).subscribe().with(held -> {
        }, notYet -> {
        }); // held for the node's life; subscribed by every replace()
        channels.onEnd(status::subscriptionEnded);
    }

    /** A message of a lobby's log, applied in order by the sequencer (which is made before the traffic it feeds). */
    private void deliverLogged(String lobby, LoggedEntry message) {
        traffic.deliver(lobby, message);
    }

    /** Connects, registers this node and starts the schedule; waits up to a few Redis timeouts. */
    public void start() {
        try {
            reconciler.reconcile().await().atMost(timeout.multipliedBy(4));
        } catch (RuntimeException unreachable) {
            LOG.warnf("cluster: Redis is not reachable yet (%s): new connections get 1013 and readiness is DOWN"
                    + " until it is", unreachable.toString());
        }
        housekeeping.start();
        olderLayouts.logLiveNodes();
    }

    @Override
    public boolean isUp() {
        return status.isUp();
    }

    public Admitter admitter() {
        return admitter;
    }

    public Presence presence() {
        return presence;
    }

    public Broker broker() {
        return broker;
    }

    public LobbyLink lobbyLink() {
        return traffic;
    }

    /**
     * The end of a drain: frees whatever seat this node still holds and removes its lease, so it
     * leaves the stats at once; then closes the connections. Called after the drain, while Redis
     * is still open.
     */
    public void leave() {
        status.stopping();
        housekeeping.stop();
        if (status.registered()) {
            // Every release of the drain was sent before this, on the same connection.
            try {
                membership.leave().await().atMost(timeout);
                LOG.infof("cluster: node %s left the cluster", nodeId);
            } catch (RuntimeException unreachable) {
                LOG.warnf("cluster: could not leave the cluster (%s): the others will reap this node", unreachable.toString());
            }
        }
        channels.close();
        pinned.close();
    }
}
