package dev.lobbyhub.registry;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;

/**
 * Turns seat changes into {@code member_joined} and {@code member_left} frames for this node's
 * members of the lobby (SPEC §3: every member hears a lobby's changes in the order its seats
 * changed).
 *
 * <p>
 * A change is queued under the node's lock, with its audience as of that change, so the queue of a
 * lobby holds its changes in order; the frames are handed out after the lock by {@link #deliver},
 * one thread per lobby at a time. Fan-out to a large lobby so never holds up admissions to
 * other lobbies, and whoever queued a change has had it handed out when {@code deliver} returns
 * (a newcomer's {@code welcome} goes after its {@code member_joined}).
 */
final class PresenceAnnouncer {

    /** The presence frames of one lobby not handed out yet. */
    static final class Queue {
        private final ConcurrentLinkedQueue<Announcement> pending = new ConcurrentLinkedQueue<>();
        private final ReentrantLock delivering = new ReentrantLock();
    }

    private record Announcement(Session[] audience, Session except, String frame) {
    }

    /** Under the node's lock: {@code userId} took a seat; the lobby's members but {@code except} hear it. */
    void joinedLocked(Lobby lobby, Session except, String userId) {
        queue(lobby, except, ServerMessages.memberJoined(userId));
    }

    /** Under the node's lock: {@code userId}'s seat was freed; the lobby's members but {@code except} hear it. */
    void leftLocked(Lobby lobby, Session except, String userId, LeaveReason reason) {
        queue(lobby, except, ServerMessages.memberLeft(userId, reason.wire()));
    }

    /** Under the node's lock: as {@link #leftLocked}, heard only by the members whose connection ids are given. */
    void leftToSomeLocked(Lobby lobby, Set<String> audience, String userId, LeaveReason reason) {
        Session[] hearing = Arrays.stream(lobby.members()).filter(member -> audience.contains(member.connectionId()))
                .toArray(Session[]::new);
        queue(lobby, hearing, null, ServerMessages.memberLeft(userId, reason.wire()));
    }

    /** After the node's lock: hands out the lobby's queued frames (null: nothing to do). */
    void deliver(Lobby lobby) {
        if (lobby == null) {
            return;
        }
        Queue queue = lobby.announcements;
        if (queue.delivering.isHeldByCurrentThread()) {
            // Queued by a send of this very delivery (a slow consumer closed by it): the loop
            // below hands it out after the frame in hand, so every member keeps the order.
            return;
        }
        queue.delivering.lock();
        try {
            Announcement next;
            while ((next = queue.pending.poll()) != null) {
                for (Session member : next.audience) {
                    if (member != next.except) {
                        member.send(next.frame);
                    }
                }
            }
        } finally {
            queue.delivering.unlock();
        }
    }

    private static void queue(Lobby lobby, Session except, String frame) {
        queue(lobby, lobby.members(), except, frame);
    }

    private static void queue(Lobby lobby, Session[] audience, Session except, String frame) {
        if (audience.length > 0) {
            lobby.announcements.pending.add(new Announcement(audience, except, frame));
        }
    }
}
