package dev.lobbyhub.cluster;

import java.util.List;

import io.smallrye.mutiny.Uni;

/**
 * This node's place in the cluster (SPEC §9): a lease with a deadline on the store's clock,
 * renewed well inside {@code cluster.node-timeout}, and the reaping of nodes whose lease ran out.
 * A node whose lease was lost (it paused longer than the timeout, or the store lost its data) must
 * {@link #register} again and re-claim its open connections before it admits anyone new.
 */
public interface NodeMembership {

    /** What a renewal found. */
    enum Lease {
        /** Renewed in time. */
        ACTIVE,
        /** Renewed after its deadline, but nobody had freed any of its seats yet: nothing was lost. */
        LATE,
        /** Not renewed: the node was (being) reaped; its seats were freed: register and re-claim. */
        LOST,
        /** The store has no record of the node (it lost its data): register and put every seat back. */
        UNKNOWN
    }

    /** A seat freed because its node's lease ran out; its lobby hears {@code member_left} {@code node_lost} once. */
    record LostSeat(String lobby, String userId, String connectionId, String nodeId, long sequence) {
    }

    /** Takes a lease for this node (at start, and after {@link Lease#LOST}). */
    Uni<Void> register();

    Uni<Lease> renew();

    /** A draining node's goodbye: frees whatever seat it still holds and removes its lease. */
    Uni<Void> leave();

    /**
     * Frees up to {@code limit} seats of nodes whose lease ran out. Safe to run on every node at
     * once and more than once: each seat is freed, and answered, by exactly one call.
     */
    Uni<List<LostSeat>> reap(int limit);
}
