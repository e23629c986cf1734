package dev.lobbyhub.cluster.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.ClusterSeating;
import io.smallrye.mutiny.Uni;

/**
 * Frees the seats Redis still holds for this node without a live connection: the releases that
 * did not get through, and the strays, seats Redis lists for this node with no connection here (a
 * claim that arrived after its release); and the other way round, forgets the closed sessions
 * whose seat event never came.
 */
final class SeatJanitor {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisCluster.class);

    private final ClusterSeating seating;
    private final RedisSeatStore seats;
    private final RedisScripts reads;
    private final String nodeId;
    private final AtomicBoolean releasing = new AtomicBoolean();

    SeatJanitor(ClusterSeating seating, RedisSeatStore seats, RedisScripts reads, String nodeId) {
        this.seating = seating;
        this.seats = seats;
        this.reads = reads;
        this.nodeId = nodeId;
    }

    /** Releases what the store still holds for this node without a live connection; answers how many. */
    Uni<Integer> releaseLeftovers(boolean strays) {
        List<Uni<Boolean>> releases = new ArrayList<>();
        // The same hold as the first try: a seat held by a release whose answer came too late stays held.
        seating.takeUnreleased().forEach((connectionId, reason) -> releases.add(seats
                .release(connectionId, reason, seating.holdFor(reason))
                .onFailure().invoke(() -> seating.releaseLater(connectionId, reason))));
        int released = releases.size();
        if (!strays) {
            return Unis.all(releases).replaceWith(released);
        }
        return Unis.all(releases).chain(() -> reads.smembers("nconns:" + nodeId)).chain(held -> {
            List<Uni<Boolean>> orphans = new ArrayList<>();
            for (String connectionId : held) {
                if (!seating.holds(connectionId)) {
                    orphans.add(seats.release(connectionId, LeaveReason.LEFT));
                }
            }
            return Unis.all(orphans).replaceWith(released + orphans.size());
        });
    }

    /**
     * Releases again the seats whose release did not get through, every tick, and with
     * {@code strays} also the strays: a closed connection's seat is freed within a few seconds.
     */
    void retry(boolean strays) {
        if (!strays && !seating.hasUnreleased()) {
            return;
        }
        if (!releasing.compareAndSet(false, true)) {
            return;
        }
        releaseLeftovers(strays).onTermination().invoke(() -> releasing.set(false)).subscribe().with(released -> {
            if (released > 0) {
                LOG.infof("cluster: %d seats of closed connections released on a later try", released);
            }
        }, failure -> LOG.debugf("cluster: releasing leftovers failed, trying again: %s", failure));
    }

    /** Removes here the sessions closed longer than {@code graceNanos} whose seat event never arrived. */
    void forgetClosed(long graceNanos) {
        seating.forgetClosed(graceNanos);
    }
}
