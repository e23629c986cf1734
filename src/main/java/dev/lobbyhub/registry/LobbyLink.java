package dev.lobbyhub.registry;

import io.smallrye.mutiny.Uni;

/**
 * Carries what members send to the lobby's members on other nodes (SPEC §9). The sender's node
 * has handed the frame to its own members already; a link sends it on once, whatever the number
 * of members. Frames of one sender reach each other node in the order they were given. On a
 * single node there is nobody else to reach.
 */
public interface LobbyLink {

    /** A {@code lobby_message} frame for the lobby's members on other nodes. */
    void toLobby(String lobby, String frame);

    /**
     * A {@code direct_message} frame for a member of the lobby on another node; false when no such
     * member is seated in the lobby (as far as this node has heard).
     */
    boolean toMember(String lobby, String userId, String frame);

    /**
     * Whether the cluster's lobby log numbers the lobby's frames (SPEC §11): members' messages then
     * go through {@link #append} and reach this node's members too from the log, in its order.
     */
    default boolean numbers() {
        return false;
    }

    /** With {@link #numbers()}: whether the log can be reached now (else this node's members are served alone). */
    default boolean reachable() {
        return true;
    }

    /**
     * With {@link #numbers()}: a member's message was handed to this node's members outside the log
     * (it could not be reached); its earlier messages that the log holds and this node missed are
     * then not handed out here after it (SPEC §3: one sender's order).
     */
    default void deliveredHere(String lobby, String fromUserId) {
    }

    /** With {@link #numbers()}: whether a user is seated in the lobby, on any node (as far as this node has heard). */
    default boolean hasMember(String lobby, String userId) {
        return false;
    }

    /**
     * With {@link #numbers()}: appends a frame (without offset) to the lobby's log, for one member
     * ({@code only}) or everyone but {@code except}; completes with its offset, or fails when the
     * log cannot take it now (then nobody got it).
     */
    default Uni<Long> append(String lobby, String frame, String only, String except) {
        return Uni.createFrom().failure(new UnsupportedOperationException("no shared lobby log"));
    }
}
