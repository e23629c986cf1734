package dev.lobbyhub.registry;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;

/**
 * The one place a lobby's frames get their order: messages, direct messages and presence events
 * alike are appended to the lobby's {@link LobbyLog} and handed to this node's members in offset
 * order (SPEC §3, §11: every member hears a lobby's frames in the same order).
 *
 * <p>
 * An entry is queued together with its audience (the members as of that entry) under the log's
 * lock ({@link Lobby#append}), so the queue holds the lobby's entries in offset order; {@link #deliver} hands them out
 * after any lock, one thread per lobby at a time. Fan-out to a large lobby so never holds up
 * admissions to other lobbies, and whoever appended an entry has had it handed out when
 * {@code deliver} returns (a newcomer's {@code welcome} goes after its {@code member_joined}).
 */
final class LobbyFanOut {

    /** The entries of one lobby not handed out yet. */
    static final class Queue {
        private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        private final ReentrantLock delivering = new ReentrantLock();

        /** Under the log's lock: the entry is next, for those of {@code audience} it reaches. */
        void add(Session[] audience, LogEntry entry) {
            pending.add(new Pending(audience, entry));
        }
    }

    private record Pending(Session[] audience, LogEntry entry) {
    }

    /**
     * Under the node's lock: a member of another node took a seat; this node's members hear it.
     * {@code offset}: its entry in the cluster's log (0: a change the log does not hold).
     */
    void joinedLocked(Lobby lobby, String userId, long offset) {
        lobby.append(lobby.members(), ServerMessages.memberJoined(userId), null, userId, offset);
    }

    /** Under the node's lock: {@code userId}'s seat was freed; the lobby's other members hear it. */
    void leftLocked(Lobby lobby, String userId, LeaveReason reason) {
        leftLocked(lobby, userId, reason, 0);
    }

    /** As {@link #leftLocked(Lobby, String, LeaveReason)}, for the change at {@code offset} of the cluster's log. */
    void leftLocked(Lobby lobby, String userId, LeaveReason reason, long offset) {
        lobby.append(lobby.members(), ServerMessages.memberLeft(userId, reason.wire()), null, userId, offset);
    }

    /** Under the node's lock: {@code userId}'s connection ended and its seat is held for {@code holdMs} (SPEC §10). */
    void awayLocked(Lobby lobby, String userId, LeaveReason reason, long holdMs) {
        awayLocked(lobby, userId, reason, holdMs, 0);
    }

    /** As {@link #awayLocked(Lobby, String, LeaveReason, long)}, for the change at {@code offset} of the cluster's log. */
    void awayLocked(Lobby lobby, String userId, LeaveReason reason, long holdMs, long offset) {
        lobby.append(lobby.members(), ServerMessages.memberAway(userId, reason.wire(), holdMs), null, userId, offset);
    }

    /** Under the node's lock: {@code userId} took back its held seat on another node; the lobby's members here hear it. */
    void backLocked(Lobby lobby, String userId, long offset) {
        lobby.append(lobby.members(), ServerMessages.memberBack(userId), null, userId, offset);
    }

    /** Under the node's lock: as {@link #leftLocked}, heard only by the members whose connection ids are given. */
    void leftToSomeLocked(Lobby lobby, Set<String> audience, String userId, LeaveReason reason) {
        Session[] hearing = Arrays.stream(lobby.members()).filter(member -> audience.contains(member.connectionId()))
                .toArray(Session[]::new);
        lobby.append(hearing, ServerMessages.memberLeft(userId, reason.wire()), null, userId, 0);
    }

    /** A lobby frame for every member but {@code exceptUserId} (the sender; null: none). Follow with {@link #deliver}. */
    Posted toLobby(Lobby lobby, String frame, String exceptUserId) {
        return lobby.append(lobby.members(), frame, null, exceptUserId, 0);
    }

    /**
     * An entry of the cluster's log at {@code offset}, for the members of this node it is meant for
     * ({@code only}: a direct message's user; {@code except}: the sender). Follow with {@link #deliver}.
     */
    Posted atOffset(Lobby lobby, long offset, String frame, String only, String except) {
        return lobby.append(lobby.members(), frame, only, except, offset);
    }

    /** Frames every member here hears, outside the log ({@code log_reset}, {@code gap}). Follow with {@link #deliver}. */
    void toEveryone(Lobby lobby, String frame) {
        lobby.append(lobby.members(), frame, null, null, 0);
    }

    /** A frame for one member, in its lobby's order (an away member reads it when it recovers). Follow with {@link #deliver}. */
    Posted toMember(Lobby lobby, Session member, String frame) {
        Session[] audience = member.isAway() ? new Session[0] : new Session[] { member };
        return lobby.append(audience, frame, member.userId(), null, 0);
    }

    /** After any lock: hands out the lobby's queued entries (null: nothing to do). */
    void deliver(Lobby lobby) {
        if (lobby == null) {
            return;
        }
        Queue queue = lobby.pending;
        if (queue.delivering.isHeldByCurrentThread()) {
            // Queued by a send of this very delivery (a slow consumer closed by it): the loop
            // below hands it out after the frame in hand, so every member keeps the order.
            return;
        }
        queue.delivering.lock();
        try {
            Pending next;
            while ((next = queue.pending.poll()) != null) {
                LogEntry entry = next.entry;
                for (Session member : next.audience) {
                    if (entry.reaches(member)) {
                        member.send(entry.frame());
                    }
                }
            }
        } finally {
            queue.delivering.unlock();
        }
    }
}
