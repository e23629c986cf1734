package dev.lobbyhub.registry;

import java.util.Arrays;

/**
 * The members of one lobby on this node, its {@link LobbyLog} and the frames waiting to be handed
 * out. Members change only under the node's lock ({@link SessionIndex}) and the log's; fan-out
 * reads them without a lock through an immutable array, so it never sees a half-made change. A
 * member takes its seat at a point of the log: it hears live every entry after that point. Away
 * members (their seat held after their connection ended, SPEC §10) are kept apart: they count as
 * seated, and hear nothing until they are back.
 */
final class Lobby {

    private static final Session[] EMPTY = new Session[0];

    final String code;
    final LobbyLog log;
    final LobbyFanOut.Queue pending = new LobbyFanOut.Queue();
    private volatile Session[] members = EMPTY;
    private volatile Session[] away = EMPTY;

    Lobby(String code, LobbyLog.Settings logSettings) {
        this.code = code;
        this.log = new LobbyLog(logSettings);
    }

    Session[] members() {
        return members;
    }

    /** Connected members. */
    int size() {
        return members.length;
    }

    /** Members with a seat: connected and away. */
    int seated() {
        return members.length + away.length;
    }

    /** Members whose seat is held, in the order they went away. */
    Session[] away() {
        return away;
    }

    /** Under the node's lock: a member's connection ended and its seat is held; it hears nothing more. */
    void hold(Session session) {
        synchronized (log) {
            Session[] rest = without(members, session);
            if (rest != null) {
                members = rest;
                away = with(away, session);
            }
        }
    }

    /** Under the node's lock: a held seat ends (its user is back in a new session, or it is freed). */
    void unhold(Session session) {
        synchronized (log) {
            Session[] rest = without(away, session);
            if (rest != null) {
                away = rest;
            }
        }
    }

    /**
     * Adds a member, which from now on hears the entries after the log's last one. With
     * {@code joinedFrame} the others hear of it first, in the same step, so the member's
     * {@code welcome} can be as of its own {@code member_joined}; without, it joins silently (it
     * takes over its user's seat). {@code offset}: the change's entry in the cluster's log (0 on a
     * single node, which numbers its own, or for a change the log does not hold).
     */
    void add(Session session, String joinedFrame, long offset) {
        synchronized (log) {
            Session[] current = members;
            if (joinedFrame != null) {
                append(current, joinedFrame, null, session.userId(), offset);
            } else if (offset > 0 && log.shared()) {
                log.followTo(offset);
            }
            session.seatedAfter(log.last());
            members = with(current, session);
        }
    }

    /**
     * Appends a frame to the log and queues it for those of {@code audience} it reaches, in one
     * step, so the queue holds the lobby's entries in offset order. {@code offset}: its entry in the
     * cluster's log, or 0 (a single node numbers its own; in cluster mode the frame is not in the log).
     */
    Posted append(Session[] audience, String frame, String only, String except, long offset) {
        synchronized (log) {
            LogEntry entry = offset > 0 && log.shared() ? log.appendAt(offset, frame, only, except)
                    : log.append(frame, only, except, System.currentTimeMillis());
            int reached = 0;
            for (Session member : audience) {
                if (entry.reaches(member)) {
                    reached++;
                }
            }
            if (reached > 0) {
                pending.add(audience, entry);
            }
            return new Posted(log.on() && entry.offset() != LobbyLog.UNNUMBERED ? entry.offset() : 0, reached);
        }
    }

    /**
     * The cluster lost the lobby's log, which goes on in a new epoch after {@code offset}: its members
     * hear every entry after that from now on, whatever offset they had reached in the old epoch.
     */
    void restartAt(long offset) {
        synchronized (log) {
            log.restartAt(offset);
            for (Session member : members) {
                member.hearsAfter(offset);
            }
            for (Session held : away) {
                held.hearsAfter(offset);
            }
        }
    }

    /** Removes exactly this session (not another of the same user); true when it was a member. */
    boolean remove(Session session) {
        synchronized (log) {
            Session[] rest = without(members, session);
            if (rest == null) {
                return false;
            }
            members = rest;
            return true;
        }
    }

    private static Session[] with(Session[] current, Session session) {
        Session[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = session;
        return next;
    }

    /** {@code current} without exactly this session, or null when it is not there. */
    private static Session[] without(Session[] current, Session session) {
        for (int i = 0; i < current.length; i++) {
            if (current[i] == session) {
                Session[] next = new Session[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                return next;
            }
        }
        return null;
    }
}
