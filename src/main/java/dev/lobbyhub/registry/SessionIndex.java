package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import dev.lobbyhub.protocol.LeaveReason;

/**
 * This node's admitted sessions, by user, by connection and by lobby, with their counts. Changed
 * only under {@link #lock()}, by whoever decides seats here, so the indexes always agree and a
 * limit checked under the lock holds; read without it (fan-out, look-ups, counts).
 */
public final class SessionIndex {

    /** One line of the lobby list. */
    public record LobbySummary(String code, int memberCount) {
    }

    private final Object lock = new Object();
    private final Map<String, Session> byUser = new ConcurrentHashMap<>();
    private final Map<String, Session> byConnection = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, Lobby> lobbies = new ConcurrentSkipListMap<>();
    /** Sessions whose connection ended while their seat is held (SPEC §10), by user: not connections of this node. */
    private final Map<String, Session> away = new ConcurrentHashMap<>();
    private volatile int connectionCount;
    private volatile int lobbyCount;
    private volatile LobbyLog.Settings logSettings;

    SessionIndex(LobbyLog.Settings logSettings) {
        this.logSettings = logSettings;
    }

    /** How the logs of lobbies made from now on are kept. */
    void keepLogs(LobbyLog.Settings settings) {
        this.logSettings = settings;
    }

    /** The node-wide lock around every change of the indexes (and the seat decision it follows). */
    Object lock() {
        return lock;
    }

    /**
     * Under the lock: adds an admitted session; answers its lobby. With {@code joinedFrame} its
     * lobby hears of it ({@link Lobby#add}); null: it takes over its user's seat silently.
     * {@code offset}: the change's entry in the cluster's log, 0 on a single node.
     */
    Lobby addLocked(Session session, String joinedFrame, long offset) {
        Lobby lobby = lobbies.get(session.lobby());
        if (lobby == null) {
            lobby = new Lobby(session.lobby(), logSettings);
            lobbies.put(session.lobby(), lobby);
            lobbyCount++;
        }
        session.joined(lobby);
        lobby.add(session, joinedFrame, offset);
        byUser.put(session.userId(), session);
        byConnection.put(session.connectionId(), session);
        connectionCount++;
        return lobby;
    }

    /**
     * Under the lock: removes exactly this session (not a newer one of its user); answers the lobby
     * it left, or null when it was not indexed (someone else removed it).
     */
    Lobby removeLocked(Session session) {
        return removeLocked(session, false);
    }

    /**
     * As {@link #removeLocked(Session)}; with {@code keepLobby} an emptied lobby stays, because a
     * newer session of the user takes the seat over at once (its log goes on).
     */
    Lobby removeLocked(Session session, boolean keepLobby) {
        if (!byUser.remove(session.userId(), session)) {
            return null;
        }
        byConnection.remove(session.connectionId());
        Lobby lobby = lobbies.get(session.lobby());
        lobby.remove(session);
        if (!keepLobby) {
            dropIfEmpty(lobby);
        }
        connectionCount--;
        return lobby;
    }

    /**
     * Under the lock: the session's connection ended and its seat is held until {@code untilMillis}:
     * it is no longer one of this node's connections, but still a member of its lobby. Answers the
     * lobby, or null when it was not indexed.
     */
    Lobby holdLocked(Session session, LeaveReason reason, long untilMillis) {
        if (!byUser.remove(session.userId(), session)) {
            return null;
        }
        byConnection.remove(session.connectionId());
        connectionCount--;
        session.away(reason, untilMillis);
        Lobby lobby = lobbies.get(session.lobby());
        lobby.hold(session);
        away.put(session.userId(), session);
        return lobby;
    }

    /**
     * Under the lock: a held seat ends (its user is back, or it is freed); answers its lobby, or null
     * when it was not held. With {@code keepLobby} an emptied lobby stays (its user takes the seat again).
     */
    Lobby unholdLocked(Session held, boolean keepLobby) {
        if (!away.remove(held.userId(), held)) {
            return null;
        }
        Lobby lobby = lobbies.get(held.lobby());
        lobby.unhold(held);
        if (!keepLobby) {
            dropIfEmpty(lobby);
        }
        return lobby;
    }

    private void dropIfEmpty(Lobby lobby) {
        if (lobby.seated() == 0 && lobbies.remove(lobby.code, lobby)) {
            lobbyCount--;
        }
    }

    /** The user's held seat on this node (its connection ended), or null. */
    public Session findAway(String userId) {
        return away.get(userId);
    }

    /** Every held seat on this node, weakly consistent. */
    Collection<Session> awaySessions() {
        return Collections.unmodifiableCollection(away.values());
    }

    /** The away members of a lobby, in the order they went away; empty when none. Do not modify. */
    public Session[] away(String lobbyCode) {
        Lobby lobby = lobbies.get(lobbyCode);
        return lobby == null ? new Session[0] : lobby.away();
    }

    /** The lobby as this node holds it, or null when none of its members is here. */
    Lobby lobby(String code) {
        return lobbies.get(code);
    }

    /** The user's admitted session on this node, or null. */
    public Session findUser(String userId) {
        return byUser.get(userId);
    }

    /** The admitted session of this connection, or null. */
    public Session findConnection(String connectionId) {
        return byConnection.get(connectionId);
    }

    /** The members of a lobby, in joining order; an empty array when nobody is in it. Do not modify. */
    public Session[] members(String lobbyCode) {
        Lobby lobby = lobbies.get(lobbyCode);
        return lobby == null ? new Session[0] : lobby.members();
    }

    /** A live view of every admitted session, weakly consistent: safe to iterate while others change it. */
    public Collection<Session> sessions() {
        return Collections.unmodifiableCollection(byUser.values());
    }

    /** Up to {@code limit} lobbies in code order, starting after {@code afterCode} (null: from the start). */
    public List<LobbySummary> lobbies(String afterCode, int limit) {
        Map<String, Lobby> view = afterCode == null ? lobbies : lobbies.tailMap(afterCode, false);
        List<LobbySummary> page = new ArrayList<>(Math.min(limit, 256));
        for (Lobby lobby : view.values()) {
            if (page.size() == limit) {
                break;
            }
            int size = lobby.seated();
            if (size > 0) {
                page.add(new LobbySummary(lobby.code, size));
            }
        }
        return page;
    }

    public int connectionCount() {
        return connectionCount;
    }

    public int lobbyCount() {
        return lobbyCount;
    }
}
