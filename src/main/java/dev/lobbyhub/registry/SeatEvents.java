package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.LeaveReason;

/**
 * Seat changes as a {@link SeatStore} commits them, one at a time and in commit order: how the
 * members of a lobby hear of each other (SPEC §3: the presence events of one lobby reach every
 * member in the order its seats changed). A listener is called by one thread at a time and must
 * not block.
 */
public interface SeatEvents {

    /** The connection took a new seat in the lobby. */
    void joined(String lobby, String userId, String connectionId, long sequence);

    /** The connection's seat was freed; {@code reason} is what its lobby is told. */
    void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence);

    /** The user's newer connection took over the older one's seat in the same lobby: nobody is told. */
    void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence);

    /** The connection ended and its seat is held for the user's return (SPEC §10). */
    default void away(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
        throw new UnsupportedOperationException("held seats");
    }

    /** The user came back: a new connection took the seat held for it. */
    default void back(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
        throw new UnsupportedOperationException("held seats");
    }

    /**
     * The lobby's state changed (SPEC §12): {@code frame} ({@code owner_changed}, {@code lobby_updated} or
     * {@code member_updated}, without offset) goes to every member, in the lobby's order.
     */
    default void stateChanged(String lobby, String frame, long sequence) {
        throw new UnsupportedOperationException("lobby state");
    }
}
