package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.registry.LobbyLink;
import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.cluster.ThisNode;
import dev.lobbyhub.registry.SeatEvents;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * This node in cluster mode (SPEC §9): its two Redis connections (one for every command, in the
 * order given, and one subscriber), its lease, and the pieces built on them. Created only when
 * {@code lobbyhub.cluster.enabled=true}.
 *
 * <p>
 * Once a second it proves both connections alive with a probe through Redis (a probe that does
 * not come back has both replaced), retries the releases that did not get through, reaps the seats
 * of nodes whose lease ran out, and leaves lobbies it no longer hosts; every
 * {@code node-timeout / 3} it renews its lease and frees any seat Redis lists for it without a
 * connection; every {@code ping-interval} it writes its members' round-trip times. It is up, and
 * admits, while it is connected, registered and the last probe came back.
 */
@Singleton
@Typed(RedisCluster.class)
public class RedisCluster implements BackplaneHealth {

    private static final Logger LOG = Logger.getLogger(RedisCluster.class);
    private static final RedisScripts.Script SET_RTT = RedisScripts.load("set_rtt");
    private static final RedisScripts.Script CLUSTER_STATS = RedisScripts.load("cluster_stats");
    /** How often a node that restored its members checks whether the others have restored theirs. */
    private static final Duration PEER_POLL = Duration.ofMillis(200);
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
    private final long nodeTimeoutMillis;
    private final long rttEveryTicks;
    private final PinnedConnection pinned;
    private final RedisChannels channels;
    private final RedisScripts reads;
    private final RedisNodeMembership membership;
    private final RedisPresence presence;
    private final LobbyFeeds feeds;
    private final RedisBroker broker;
    private final LobbyTraffic traffic;
    private final RedisAdmitter admitter;
    private final RedisSeatStore seats;
    private final BackplaneMeters meters;

    private volatile boolean stopping;
    private volatile boolean registered;
    private volatile boolean probeAnswered;
    private volatile int liveNodes;
    /** The other nodes alive at the last look: after Redis lost its data, admission waits for them to be back. */
    private volatile Set<String> knownPeers = Set.of();
    private final String keyBase;
    private volatile boolean needsReconcile;
    /** The command or subscriber connection may be dead or silent: the next reconciliation replaces both. */
    private volatile boolean connectionsSuspect;
    private final AtomicBoolean releasing = new AtomicBoolean();
    private final AtomicBoolean reconciling = new AtomicBoolean();
    private long ticks;
    private long timer = -1;

    RedisCluster(Instance<Redis> redisClient, LobbyhubConfig config, ConnectionRegistry registry, ThisNode here,
            LobbyhubMetrics metrics, NodeId nodeId, Vertx vertx) {
        io.vertx.redis.client.Redis redis = redisClient.get().getDelegate();
        // One event loop writes every command and subscription, in the order they were given.
        io.vertx.core.Context redisContext = vertx.getOrCreateContext();
        LobbyhubConfig.Cluster cluster = config.cluster();
        this.vertx = vertx;
        this.registry = registry;
        this.nodeId = nodeId.value();
        this.timeout = cluster.redisTimeout();
        this.renewEveryTicks = Math.max(1, cluster.nodeTimeout().toMillis() / 3 / TICK_MS);
        this.nodeTimeoutMillis = cluster.nodeTimeout().toMillis();
        this.rttEveryTicks = Math.max(1, config.health().pingInterval().toMillis() / TICK_MS);
        this.keyBase = RedisScripts.keyBase(cluster.keyPrefix());
        this.meters = metrics.backplane(() -> liveNodes, () -> isUp() ? 1 : 0);
        this.pinned = new PinnedConnection(redis, redisContext, timeout);
        this.channels = new RedisChannels(redis, redisContext, timeout, pinned::send);
        this.reads = new RedisScripts(pinned::send, cluster.keyPrefix(), timeout);
        this.membership = new RedisNodeMembership(reads, this.nodeId, cluster.nodeTimeout(),
                config.limits().maxConnections());
        this.presence = new RedisPresence(reads);
        this.seats = new RedisSeatStore(pinned, cluster.keyPrefix(), timeout);
        SeatEvents sessions = registry.joinCluster(seats);
        SeatSequencer sequencer = new SeatSequencer(sessions, registry, this.nodeId,
                () -> reconcileSoon("this node's seats were freed as node_lost"));
        this.feeds = new LobbyFeeds(channels, reads, keyBase, registry, sequencer);
        Wire wire = new Wire(this.nodeId, keyBase, pinned, metrics, meters, timeout);
        this.traffic = new LobbyTraffic(wire, feeds, here, metrics, this::isUp);
        this.broker = new RedisBroker(wire, feeds, here, presence, timeout, this::isUp);
        this.nodeChannel = wire.nodeChannel(this.nodeId);
        this.admitter = new RedisAdmitter(registry, feeds, seats, this, meters, this.nodeId, timeout);
        // A lobby's channel carries the scripts' seat events and the other nodes' envelopes.
        channels.onOtherChannels((channel, payload) -> {
            if (Envelope.isEnvelope(payload)) {
                traffic.onEnvelope(channel, payload);
            } else {
                feeds.onSeatEvent(channel, payload);
            }
        });
        channels.acquire(nodeChannel, broker::onNodeMessage).subscribe().with(held -> {
        }, notYet -> {
        }); // held for the node's life; subscribed by every replace()
        channels.onEnd(() -> {
            probeAnswered = false;
            if (!stopping) {
                reconcileSoon("the Redis subscription ended");
            }
        });
    }

    /** Connects, registers this node and starts the schedule; waits up to a few Redis timeouts. */
    public void start() {
        try {
            reconcile().await().atMost(timeout.multipliedBy(4));
        } catch (RuntimeException unreachable) {
            LOG.warnf("cluster: Redis is not reachable yet (%s): new connections get 1013 and readiness is DOWN"
                    + " until it is", unreachable.toString());
        }
        timer = vertx.setPeriodic(TICK_MS, id -> tick());
    }

    /**
     * Asks for a reconciliation at the next tick: this node stops admitting and reports not ready
     * until it is done. Called when the subscription ended, a probe went unanswered, the lease was
     * lost, or this node's seats were freed as {@code node_lost}.
     */
    void reconcileSoon(String why) {
        if (!needsReconcile && !stopping) {
            LOG.warnf("cluster: %s; new connections get 1013 until this node has reconciled with Redis", why);
        }
        needsReconcile = true;
    }

    /**
     * Brings Redis back in line with this node (SPEC §9, "when Redis returns"): connects and
     * subscribes again if needed, renews the lease or registers again, releases the seats whose
     * release did not get through and any seat Redis still lists for this node without a live
     * connection, takes back the seat of every open connection (a newer connection of its user wins:
     * closed 4005; a lobby filled meanwhile: closed 4002; after Redis lost its data every member
     * comes back, even over a lobby's limit), then re-reads every lobby it hosts. Admission resumes
     * only once all of it is done. Safe to run again after a failure.
     */
    private Uni<Void> reconcile() {
        registered = false;
        long started = System.nanoTime();
        Set<String> peersBefore = knownPeers;
        int[] counts = new int[4]; // released, taken back, closed, lobbies
        boolean[] dataLost = new boolean[1];
        return Uni.createFrom().deferred(this::freshConnections)
                .chain(membership::renew)
                .chain(lease -> switch (lease) {
                    case ACTIVE, LATE -> Uni.createFrom().item(false);
                    case LOST -> membership.register().replaceWith(false);
                    case UNKNOWN -> membership.registerRestoring().invoke(() -> dataLost[0] = true).replaceWith(true);
                })
                .chain(restore -> releaseLeftovers(counts, true).chain(() -> takeBackSeats(restore, counts))
                        .chain(() -> restore ? restored().chain(() -> awaitPeers(peersBefore,
                                System.nanoTime() + nodeTimeoutMillis * 1_000_000)) : Uni.createFrom().voidItem()))
                .chain(() -> {
                    List<String> lobbies = lobbiesToReread();
                    counts[3] = lobbies.size();
                    // With Redis's data kept, what it says now is the truth: leaves are told at once.
                    return feeds.resync(lobbies, !dataLost[0]);
                })
                .onFailure().invoke(() -> connectionsSuspect = true)
                .invoke(() -> {
                    needsReconcile = false;
                    probeAnswered = true;
                    registered = true;
                    if (counts[3] > 0 && dataLost[0]) {
                        // Members that left during the outage, once the other nodes had a lease's time to come back.
                        vertx.setTimer(nodeTimeoutMillis, id -> {
                            if (isUp()) { // else another reconciliation is due, and schedules its own
                                feeds.resync(lobbiesHere(), true).subscribe().with(done -> {
                                }, failure -> LOG.debugf("cluster: second re-read failed: %s", failure));
                            }
                        });
                    }
                    if (counts[0] + counts[1] + counts[2] + counts[3] > 0) {
                        LOG.infof("cluster: reconciled in %d ms: %d seats released, %d taken back, %d connections closed,"
                                + " %d lobbies re-read", (System.nanoTime() - started) / 1_000_000, counts[0], counts[1],
                                counts[2], counts[3]);
                    } else {
                        LOG.infof("cluster: node %s registered", nodeId);
                    }
                });
    }

    /**
     * New command and subscriber connections when the old ones may be dead or silent (a probe went
     * unanswered, the subscription ended, a reconciliation failed), with every held channel
     * subscribed again and confirmed, then a probe through both: a connection that stopped
     * answering is never kept.
     */
    private Uni<Void> freshConnections() {
        if (channels.isConnected() && !connectionsSuspect) {
            return Uni.createFrom().voidItem();
        }
        connectionsSuspect = false;
        pinned.replace();
        return channels.replace().chain(() -> channels.probe(nodeChannel));
    }

    /** Releases what the store still holds for this node without a live connection. */
    private Uni<Void> releaseLeftovers(int[] counts, boolean strays) {
        List<Uni<Boolean>> releases = new ArrayList<>();
        registry.takeUnreleased().forEach((connectionId, reason) -> releases.add(seats.release(connectionId, reason)
                .onFailure().invoke(() -> registry.releaseLater(connectionId, reason))));
        counts[0] = releases.size();
        if (!strays) {
            return Unis.all(releases);
        }
        return Unis.all(releases).chain(() -> reads.smembers("nconns:" + nodeId)).chain(held -> {
            List<Uni<Boolean>> orphans = new ArrayList<>();
            for (String connectionId : held) {
                if (!registry.holds(connectionId)) {
                    orphans.add(seats.release(connectionId, LeaveReason.LEFT));
                }
            }
            counts[0] += orphans.size();
            return Unis.all(orphans);
        });
    }

    /** Claims again, without displacing anyone, the seat of every open connection of this node. */
    private Uni<Void> takeBackSeats(boolean restore, int[] counts) {
        List<Uni<Void>> claims = new ArrayList<>();
        int maxPerLobby = registry.settings().maxPerLobby();
        for (Session session : registry.sessions()) {
            if (!session.isOpen()) {
                continue;
            }
            SeatStore.Seat seat = new SeatStore.Seat(session.lobby(), session.userId(), session.connectionId(), nodeId,
                    session.name());
            claims.add(seats.reclaim(seat, maxPerLobby, restore).invoke(claim -> {
                if (claim instanceof SeatStore.Seated seated) {
                    counts[1]++;
                    if (seated.members().size() > maxPerLobby) {
                        meters.overLimit();
                        LOG.warnf("cluster: lobby %s has %d members after Redis lost its data, over max-per-lobby %d;"
                                + " nobody new is admitted until it is back under", session.lobby(),
                                seated.members().size(), maxPerLobby);
                    }
                    return;
                }
                CloseCode code = ((SeatStore.Refused) claim).code();
                if (code == CloseCode.BACKPLANE_UNAVAILABLE) {
                    throw new IllegalStateException("lease lost again while taking seats back");
                }
                counts[2]++;
                switch (code) {
                    case DUPLICATE_SESSION -> registry.dropHere(session, CloseCode.REPLACED, LeaveReason.REPLACED);
                    case LOBBY_FULL -> registry.dropHere(session, CloseCode.LOBBY_FULL, LeaveReason.NODE_LOST);
                    default -> registry.dropHere(session, CloseCode.BACKPLANE_UNAVAILABLE, LeaveReason.NODE_LOST);
                }
            }).replaceWithVoid());
        }
        return Unis.all(claims);
    }

    /** Every lobby followed (its subscription may be gone with the old connection) and every lobby with members here. */
    private List<String> lobbiesToReread() {
        Set<String> lobbies = new TreeSet<>(feeds.followed());
        lobbies.addAll(lobbiesHere());
        return new ArrayList<>(lobbies);
    }

    /** This node has put its members back: sent after its claims, on the same connection, so they all ran before. */
    private Uni<Void> restored() {
        return pinned.send(Request.cmd(Command.HDEL).arg(keyBase + "node:" + nodeId).arg("restoring"))
                .ifNoItem().after(timeout).fail().replaceWithVoid();
    }

    /**
     * After Redis lost its data: waits until every node that was alive before has registered again
     * and put its members back, or one {@code node-timeout} has passed (a node that died meanwhile
     * does not come back), so that no seat of theirs is given to a newcomer here meanwhile.
     */
    private Uni<Void> awaitPeers(Set<String> peers, long deadlineNanos) {
        if (peers.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return reads.call(CLUSTER_STATS).chain(reply -> {
            Set<String> back = new HashSet<>();
            for (Response row : reply.get(2)) {
                if (row.get(5).toInteger() == 1 && row.get(6).toInteger() == 0) {
                    back.add(row.get(0).toString());
                }
            }
            if (back.containsAll(peers)) {
                return Uni.createFrom().voidItem();
            }
            if (System.nanoTime() > deadlineNanos) {
                Set<String> missing = new TreeSet<>(peers);
                missing.removeAll(back);
                LOG.warnf("cluster: admitting again without nodes %s: not back within node-timeout", missing);
                return Uni.createFrom().voidItem();
            }
            return Uni.createFrom().voidItem().onItem().delayIt().by(PEER_POLL)
                    .chain(() -> awaitPeers(peers, deadlineNanos));
        });
    }

    private List<String> lobbiesHere() {
        List<String> lobbies = new ArrayList<>();
        for (ConnectionRegistry.LobbySummary lobby : registry.lobbies(null, Integer.MAX_VALUE)) {
            lobbies.add(lobby.code());
        }
        return lobbies;
    }

    private void tick() {
        ticks++;
        // This node's counts follow its own sockets, whatever reached it from Redis (or did not).
        registry.forgetClosed(timeout.toNanos());
        if (needsReconcile || !registered) {
            if (reconciling.compareAndSet(false, true)) {
                reconcile().onTermination().invoke(() -> reconciling.set(false)).subscribe().with(done -> {
                }, failure -> LOG.debugf("cluster: reconciling failed, trying again: %s", failure));
            }
            return;
        }
        channels.probe(nodeChannel).subscribe().with(done -> {
        }, failure -> {
            connectionsSuspect = true;
            reconcileSoon("Redis did not answer a probe within " + timeout.toMillis() + " ms");
        });
        retryReleases(ticks % renewEveryTicks == 0);
        if (ticks % renewEveryTicks == 0) {
            renew();
        }
        membership.reap(REAP_BATCH).subscribe().with(lost -> {
            Map<String, Long> perNode = new TreeMap<>();
            for (RedisNodeMembership.LostSeat seat : lost) {
                perNode.merge(seat.nodeId(), 1L, Long::sum);
            }
            perNode.forEach((node, seats) -> LOG.warnf(
                    "cluster: node %s lost (its lease ran out): %d seats freed, its members left as node_lost", node, seats));
        }, failure -> LOG.debugf("cluster: reap failed: %s", failure));
        feeds.leaveIdle();
        presence.totals().subscribe().with(totals -> {
            liveNodes = totals.nodes().size();
            Set<String> peers = new HashSet<>();
            for (Presence.NodeLoad node : totals.nodes()) {
                if (!node.nodeId().equals(nodeId)) {
                    peers.add(node.nodeId());
                }
            }
            knownPeers = peers;
        }, failure -> {
        });
        if (ticks % rttEveryTicks == 0) {
            writeRoundTripTimes();
        }
    }

    /**
     * Releases again the seats whose release did not get through, every tick, and with
     * {@code strays} also any seat Redis lists for this node without a connection here (a claim
     * that arrived after its release): a closed connection's seat is freed within a few seconds.
     */
    private void retryReleases(boolean strays) {
        if (!strays && !registry.hasUnreleased()) {
            return;
        }
        if (!releasing.compareAndSet(false, true)) {
            return;
        }
        int[] counts = new int[1];
        releaseLeftovers(counts, strays).onTermination().invoke(() -> releasing.set(false)).subscribe().with(done -> {
            if (counts[0] > 0) {
                LOG.infof("cluster: %d seats of closed connections released on a later try", counts[0]);
            }
        }, failure -> LOG.debugf("cluster: releasing leftovers failed, trying again: %s", failure));
    }

    private void renew() {
        membership.renew().subscribe().with(lease -> {
            if (lease == RedisNodeMembership.Lease.LOST || lease == RedisNodeMembership.Lease.UNKNOWN) {
                reconcileSoon(lease == RedisNodeMembership.Lease.LOST ? "this node's lease ran out"
                        : "Redis no longer knows this node (it lost its data)");
            } else if (lease == RedisNodeMembership.Lease.LATE) {
                LOG.warn("cluster: this node renewed its lease late (nothing was lost)");
            }
        }, failure -> LOG.debugf("cluster: renew failed: %s", failure));
    }

    /** A claim found this node's lease gone. */
    void leaseLost() {
        reconcileSoon("this node's lease ran out");
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
        return registered && !needsReconcile && probeAnswered && channels.isConnected();
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
        return traffic;
    }

    /**
     * The end of a drain: frees whatever seat this node still holds and removes its lease, so it
     * leaves the stats at once; then closes the connections. Called after the drain, while Redis
     * is still open.
     */
    public void leave() {
        stopping = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (registered) {
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
