package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;

/**
 * Applies the store's seat events, as they arrive in commit order, to this node's sessions. A
 * change of a session of this node updates the index; any change is queued for this node's
 * members of the lobby under the lock, so each of them hears the changes in that order.
 */
final class SeatEventApplier implements SeatEvents {

    private final ClusterSeating seating;
    private final SessionIndex index;
    private final LobbyFanOut fanOut;
    private final SessionLedger ledger;

    SeatEventApplier(ClusterSeating seating, SessionIndex index, LobbyFanOut fanOut, SessionLedger ledger) {
        this.seating = seating;
        this.index = index;
        this.fanOut = fanOut;
        this.ledger = ledger;
    }

    @Override
    public void joined(String lobby, String userId, String connectionId, long sequence) {
        ClusterSeating.Reserved place;
        Lobby told;
        synchronized (index.lock()) {
            place = seating.takeReservedLocked(connectionId);
            if (place != null) {
                told = index.addLocked(place.session(), ServerMessages.memberJoined(userId), sequence);
            } else {
                // Another node's member, or one of ours taking its seat back after an outage.
                told = index.lobby(lobby);
                if (told != null) {
                    fanOut.joinedLocked(told, userId, sequence);
                }
            }
        }
        fanOut.deliver(told);
        if (place != null) {
            place.seated().complete(null);
        }
    }

    @Override
    public void left(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
        Session session;
        Lobby told;
        synchronized (index.lock()) {
            session = index.findConnection(connectionId);
            if (session == null) {
                told = !seating.forgetToldLeave(connectionId) ? index.lobby(lobby) : null;
                if (told != null) {
                    fanOut.leftLocked(told, userId, reason, sequence);
                }
            } else if (reason == LeaveReason.NODE_LOST && session.isOpen()) {
                // This node was taken for dead while it paused: the cluster saw the member leave,
                // so this node's members hear it too; the connection stays open and takes its
                // seat back when the node registers again (a joined event follows).
                session = null;
                told = index.lobby(lobby);
                if (told != null) {
                    fanOut.leftLocked(told, userId, reason, sequence);
                }
            } else {
                told = seating.removeAndTellLocked(session, reason, sequence);
                if (told == null) {
                    session = null;
                }
            }
        }
        fanOut.deliver(told);
        if (session != null) {
            closeFreed(session, reason);
            ledger.departed(session, reason);
        }
    }

    @Override
    public void replaced(String lobby, String userId, String oldConnectionId, String newConnectionId,
            long sequence) {
        Session old;
        ClusterSeating.Reserved place;
        synchronized (index.lock()) {
            old = index.findConnection(oldConnectionId);
            place = seating.takeReservedLocked(newConnectionId);
            if (old != null && index.removeLocked(old, place != null) == null) {
                old = null;
            }
            if (place != null) {
                if (old != null) {
                    place.session().takesOverSeatOf(old);
                }
                index.addLocked(place.session(), null, sequence);
            }
        }
        if (old != null) {
            closeFreed(old, LeaveReason.REPLACED);
            ledger.departed(old, LeaveReason.REPLACED);
        }
        if (place != null) {
            place.seated().complete(null);
        }
    }

    /**
     * The connection ended and its seat is held (SPEC §10): a session of this node leaves the index
     * (it is no longer one of this node's connections), and this node's members hear
     * {@code member_away}. A session still open here was taken for dead while this node paused: it
     * stays, and takes its seat back when the node registers again ({@code back} follows).
     */
    @Override
    public void away(String lobby, String userId, String connectionId, LeaveReason reason, long sequence) {
        Session session;
        Lobby told;
        synchronized (index.lock()) {
            session = index.findConnection(connectionId);
            if (session != null && !session.isOpen()) {
                told = seating.removeAwayLocked(session, reason, sequence);
                if (told == null) {
                    session = null;
                }
            } else {
                session = null;
                told = !seating.forgetToldLeave(connectionId) ? index.lobby(lobby) : null;
                if (told != null) {
                    fanOut.awayLocked(told, userId, reason, seating.holdMillis(), sequence);
                }
            }
        }
        fanOut.deliver(told);
        if (session != null) {
            ledger.departed(session, reason);
        }
    }

    /**
     * The user took back its held seat: a connection of this node waiting for it is admitted, and
     * this node's members hear {@code member_back} (no {@code member_joined}).
     */
    @Override
    public void back(String lobby, String userId, String oldConnectionId, String newConnectionId, long sequence) {
        ClusterSeating.Reserved place;
        Lobby told;
        synchronized (index.lock()) {
            place = seating.takeReservedLocked(newConnectionId);
            if (place != null) {
                told = index.addLocked(place.session(), ServerMessages.memberBack(userId), sequence);
            } else {
                // Another node's member, or one of ours reclaiming its seat after this node paused.
                told = index.lobby(lobby);
                if (told != null) {
                    fanOut.backLocked(told, userId, sequence);
                }
            }
        }
        fanOut.deliver(told);
        if (place != null) {
            place.seated().complete(null);
        }
    }

    /** A session whose seat was taken from it (a newer connection, its owner's kick, or its node's lease lost) is closed. */
    private void closeFreed(Session session, LeaveReason reason) {
        CloseCode code = switch (reason) {
            case REPLACED -> CloseCode.REPLACED;
            // The lobby's owner kicked it (SPEC §12): its seat was freed with the user kept out.
            case KICKED -> CloseCode.KICKED;
            default -> CloseCode.BACKPLANE_UNAVAILABLE;
        };
        if (session.beginClose(code)) {
            session.transport().close(code);
        }
    }
}
