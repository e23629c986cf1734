package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.LeaveReason;

/**
 * How a leaving session gives its seat back: at once on a single node ({@link LocalSeating}),
 * through the shared seat store in cluster mode. Either way the session leaves this node's
 * indexes, its lobby is told once and the departure is counted once.
 */
public interface Seating extends LobbyStates, LobbyDirectory {

    /**
     * Frees the seat of a session that stopped being open; {@code closedByServer} when this node
     * closed it (a message of it being relayed now goes first).
     */
    void release(Session session, LeaveReason reason, boolean closedByServer);
}
