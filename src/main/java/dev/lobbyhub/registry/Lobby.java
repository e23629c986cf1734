package dev.lobbyhub.registry;

import java.util.Arrays;

/**
 * The members of one lobby on this node. Changed only under the node's lock ({@link SessionIndex});
 * read without it through an immutable array, so fan-out never locks and never sees a half-made
 * change. Its presence frames wait in {@link #announcements} in the order its members changed.
 */
final class Lobby {

    private static final Session[] EMPTY = new Session[0];

    final String code;
    final PresenceAnnouncer.Queue announcements = new PresenceAnnouncer.Queue();
    private volatile Session[] members = EMPTY;

    Lobby(String code) {
        this.code = code;
    }

    Session[] members() {
        return members;
    }

    int size() {
        return members.length;
    }

    void add(Session session) {
        Session[] current = members;
        Session[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = session;
        members = next;
    }

    /** Removes exactly this session (not another of the same user); true when it was a member. */
    boolean remove(Session session) {
        Session[] current = members;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == session) {
                Session[] next = new Session[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                members = next;
                return true;
            }
        }
        return false;
    }
}
