package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.cluster.LobbyLink;
import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.cluster.NodeMembership;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.cluster.SeatEvents;
import dev.lobbyhub.cluster.local.LocalBroker;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;

/**
 * This node in cluster mode (SPEC §9): its Redis connections (a pool for reads, one pinned
 * connection for seat changes and publishes, one subscriber), its lease, and the pieces built on
 * them. Created only when {@code lobbyhub.cluster.enabled=true}.
 *
 * <p>
 * Once a second it proves the subscription alive with a probe through Redis, reaps the seats of
 * nodes whose lease ran out, and leaves lobbies it no longer hosts; every
 * {@code node-timeout / 3} it renews its lease; every {@code ping-interval} it writes its members'
 * round-trip times. It is up, and admits, while it is connected, registered and the last probe
 * came back.
 */
@Singleton
@Typed(RedisCluster.class)
public class RedisCluster implements BackplaneHealth {

    private static final Logger LOG = Logger.getLogger(RedisCluster.class);
    private static final RedisScripts.Script SET_RTT = RedisScripts.load("set_rtt");
    /** Seats one reap call frees at most; the next tick goes on. */
    private static final int REAP_BATCH = 500;
    /** Round-trip times written per script call. */
    private static final int RTT_BATCH = 200;
    private static final long TICK_MS = 1000;

    private final Vertx vertx;
    private final ConnectionRegistry registry;
    private final String nodeId;
    private final String nodeChannel;
    private final Duration timeout;
    private final long renewEveryTicks;
    private final long rttEveryTicks;
    private final PinnedConnection pinned;
    private final RedisChannels channels;
    private final RedisScripts reads;
    private final RedisNodeMembership membership;
    private final RedisPresence presence;
    private final LobbyFeeds feeds;
    private final RedisBroker broker;
    private final RedisAdmitter admitter;

    private volatile boolean registered;
    private volatile boolean probeAnswered;
    private volatile int liveNodes;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private long ticks;
    private long timer = -1;

    RedisCluster(Instance<Redis> redisClient, LobbyhubConfig config, ConnectionRegistry registry, LocalBroker local,
            LobbyhubMetrics metrics, NodeId nodeId, Vertx vertx) {
        Redis redis = redisClient.get();
        LobbyhubConfig.Cluster cluster = config.cluster();
        this.vertx = vertx;
        this.registry = registry;
        this.nodeId = nodeId.value();
        this.timeout = cluster.redisTimeout();
        this.renewEveryTicks = Math.max(1, cluster.nodeTimeout().toMillis() / 3 / TICK_MS);
        this.rttEveryTicks = Math.max(1, config.health().pingInterval().toMillis() / TICK_MS);
        String keyBase = RedisScripts.keyBase(cluster.keyPrefix());
        BackplaneMeters meters = metrics.backplane(() -> liveNodes, () -> isUp() ? 1 : 0);
        this.pinned = new PinnedConnection(redis, timeout);
        this.channels = new RedisChannels(redis, timeout);
        this.reads = new RedisScripts(redis, cluster.keyPrefix(), timeout);
        this.membership = new RedisNodeMembership(redis, cluster.keyPrefix(), timeout, this.nodeId,
                cluster.nodeTimeout(), config.limits().maxConnections());
        this.presence = new RedisPresence(redis, cluster.keyPrefix(), timeout);
        RedisSeatStore seats = new RedisSeatStore(pinned, cluster.keyPrefix(), timeout);
        SeatEvents sessions = registry.joinCluster(seats);
        RedisBroker[] brokerRef = new RedisBroker[1];
        this.feeds = new LobbyFeeds(channels, reads, keyBase, sessions, registry,
                (lobby, envelope) -> brokerRef[0].onLobbyEnvelope(lobby, envelope));
        this.broker = new RedisBroker(this.nodeId, keyBase, pinned, feeds, registry, local, presence, metrics, meters,
                timeout);
        brokerRef[0] = broker;
        this.nodeChannel = broker.nodeChannel(this.nodeId);
        this.admitter = new RedisAdmitter(registry, feeds, seats, this, meters, this.nodeId, timeout);
        channels.onOtherChannels(feeds::onMessage);
        channels.onEnd(() -> {
            probeAnswered = false;
            feeds.clear();
            LOG.warn("the Redis subscription ended: new connections are refused until it is back");
        });
    }

    /** Connects, registers this node and starts the schedule; waits up to a few Redis timeouts. */
    public void start() {
        try {
            connect().await().atMost(timeout.multipliedBy(4));
        } catch (RuntimeException unreachable) {
            LOG.warnf("Redis is not reachable yet (%s): new connections get 1013 and readiness is DOWN until it is",
                    unreachable.toString());
        }
        timer = vertx.setPeriodic(TICK_MS, id -> tick());
    }

    private Uni<Void> connect() {
        if (!connecting.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> channels.isConnected() ? Uni.createFrom().voidItem() : channels.connect()
                .chain(() -> channels.subscribe(nodeChannel, broker::onNodeMessage)))
                .chain(membership::register)
                .invoke(() -> {
                    registered = true;
                    probeAnswered = true;
                    LOG.infof("cluster: node %s registered", nodeId);
                })
                .onTermination().invoke(() -> connecting.set(false));
    }

    private void tick() {
        ticks++;
        if (!channels.isConnected() || !registered) {
            connect().subscribe().with(done -> {
            }, failure -> LOG.debugf("cluster: connecting to Redis failed: %s", failure));
            return;
        }
        channels.probe(nodeChannel).subscribe().with(done -> probeAnswered = true, failure -> {
            if (probeAnswered) {
                LOG.warnf("cluster: Redis did not answer a probe within %d ms: new connections get 1013",
                        timeout.toMillis());
            }
            probeAnswered = false;
        });
        if (ticks % renewEveryTicks == 0) {
            renew();
        }
        membership.reap(REAP_BATCH).subscribe().with(lost -> {
            if (!lost.isEmpty()) {
                LOG.infof("cluster: freed %d seats of nodes whose lease ran out", lost.size());
            }
        }, failure -> LOG.debugf("cluster: reap failed: %s", failure));
        feeds.leaveIdle();
        presence.totals().subscribe().with(totals -> liveNodes = totals.nodes().size(), failure -> {
        });
        if (ticks % rttEveryTicks == 0) {
            writeRoundTripTimes();
        }
    }

    private void renew() {
        membership.renew().subscribe().with(lease -> {
            if (lease == NodeMembership.Lease.LOST) {
                leaseLost();
            } else if (lease == NodeMembership.Lease.LATE) {
                LOG.warn("cluster: this node renewed its lease late (nothing was lost)");
            }
        }, failure -> LOG.debugf("cluster: renew failed: %s", failure));
    }

    /** The store no longer knows this node (its lease ran out): it registers again before admitting anyone. */
    void leaseLost() {
        if (registered) {
            LOG.warn("cluster: this node's lease was lost; registering again");
        }
        registered = false;
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

    @Override
    public boolean isUp() {
        return registered && probeAnswered && channels.isConnected();
    }

    boolean admits() {
        return isUp();
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
        return broker;
    }

    @PreDestroy
    void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        channels.close();
        pinned.close();
    }
}
