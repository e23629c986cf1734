package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.ClusterSeating;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.SessionIndex;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.registry.Session;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * Brings Redis back in line with this node (SPEC §9, "when Redis returns") at startup and whenever
 * {@link NodeStatus} says a reconciliation is due; until it is done the node admits nobody.
 */
final class Reconciler {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisCluster.class);
    private static final RedisScripts.Script CLUSTER_STATS = RedisScripts.load("cluster_stats");
    /** How often a node that restored its members checks whether the others have restored theirs. */
    private static final Duration PEER_POLL = Duration.ofMillis(200);

    private final Vertx vertx;
    private final ConnectionRegistry registry;
    private final ClusterSeating seating;
    private final NodeStatus status;
    private final PinnedConnection pinned;
    private final RedisChannels channels;
    private final RedisScripts reads;
    private final RedisNodeMembership membership;
    private final RedisSeatStore seats;
    private final SeatJanitor janitor;
    private final LobbyFeeds feeds;
    private final BackplaneMeters meters;
    private final String nodeId;
    private final String nodeChannel;
    private final String keyBase;
    private final Duration timeout;
    private final long nodeTimeoutMillis;
    private final AtomicBoolean reconciling = new AtomicBoolean();

    Reconciler(Vertx vertx, ConnectionRegistry registry, ClusterSeating seating, NodeStatus status, PinnedConnection pinned,
            RedisChannels channels, RedisScripts reads, RedisNodeMembership membership, RedisSeatStore seats,
            SeatJanitor janitor, LobbyFeeds feeds, BackplaneMeters meters, String nodeId, String nodeChannel,
            String keyBase, Duration timeout, Duration nodeTimeout) {
        this.vertx = vertx;
        this.registry = registry;
        this.seating = seating;
        this.status = status;
        this.pinned = pinned;
        this.channels = channels;
        this.reads = reads;
        this.membership = membership;
        this.seats = seats;
        this.janitor = janitor;
        this.feeds = feeds;
        this.meters = meters;
        this.nodeId = nodeId;
        this.nodeChannel = nodeChannel;
        this.keyBase = keyBase;
        this.timeout = timeout;
        this.nodeTimeoutMillis = nodeTimeout.toMillis();
    }

    /** Reconciles unless a reconciliation is under way; one that fails is tried again when asked next. */
    void reconcileInBackground() {
        if (reconciling.compareAndSet(false, true)) {
            reconcile().onTermination().invoke(() -> reconciling.set(false)).subscribe().with(done -> {
            }, failure -> LOG.debugf("cluster: reconciling failed, trying again: %s", failure));
        }
    }

    /**
     * Connects and subscribes again if needed, renews the lease or registers again, releases the
     * seats whose release did not get through and any seat Redis still lists for this node without
     * a live connection, takes back the seat of every open connection (a newer connection of its
     * user wins: closed 4005; a lobby filled meanwhile: closed 4002; after Redis lost its data every
     * member comes back, even over a lobby's limit), then re-reads every lobby it hosts. Admission
     * resumes only once all of it is done. Safe to run again after a failure.
     */
    Uni<Void> reconcile() {
        status.reconciling();
        long started = System.nanoTime();
        Set<String> peersBefore = status.knownPeers();
        int[] counts = new int[4]; // released, taken back, closed, lobbies
        boolean[] dataLost = new boolean[1];
        return Uni.createFrom().deferred(this::freshConnections)
                .chain(membership::renew)
                .chain(lease -> switch (lease) {
                    case ACTIVE, LATE -> Uni.createFrom().item(false);
                    case LOST -> membership.register().replaceWith(false);
                    case UNKNOWN -> membership.registerRestoring().invoke(() -> dataLost[0] = true).replaceWith(true);
                })
                .chain(restore -> janitor.releaseLeftovers(true).invoke(released -> counts[0] = released)
                        .chain(() -> takeBackSeats(restore, counts))
                        .chain(() -> restore ? restored().chain(() -> awaitPeers(peersBefore,
                                System.nanoTime() + nodeTimeoutMillis * 1_000_000)) : Uni.createFrom().voidItem()))
                .chain(() -> {
                    List<String> lobbies = lobbiesToReread();
                    counts[3] = lobbies.size();
                    // With Redis's data kept, what it says now is the truth: leaves are told at once.
                    return feeds.resync(lobbies, !dataLost[0]);
                })
                .onFailure().invoke(status::suspectConnections)
                .invoke(() -> {
                    status.reconciled();
                    if (counts[3] > 0 && dataLost[0]) {
                        // Members that left during the outage, once the other nodes had a lease's time to come back.
                        vertx.setTimer(nodeTimeoutMillis, id -> {
                            if (status.isUp()) { // else another reconciliation is due, and schedules its own
                                feeds.resync(lobbiesHere(), true).subscribe().with(done -> {
                                }, failure -> LOG.warnf("cluster: the second re-read after Redis lost its data failed: %s",
                                        failure.toString()));
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
        if (channels.isConnected() && !status.connectionsSuspect()) {
            return Uni.createFrom().voidItem();
        }
        status.connectionsReplaced();
        pinned.replace();
        return channels.replace().chain(() -> channels.probe(nodeChannel));
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
                    case DUPLICATE_SESSION -> seating.dropHere(session, CloseCode.REPLACED, LeaveReason.REPLACED);
                    case LOBBY_FULL -> seating.dropHere(session, CloseCode.LOBBY_FULL, LeaveReason.NODE_LOST);
                    default -> seating.dropHere(session, CloseCode.BACKPLANE_UNAVAILABLE, LeaveReason.NODE_LOST);
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
        for (SessionIndex.LobbySummary lobby : registry.lobbies(null, Integer.MAX_VALUE)) {
            lobbies.add(lobby.code());
        }
        return lobbies;
    }
}
