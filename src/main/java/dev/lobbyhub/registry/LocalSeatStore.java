package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.StateAnswer.Refusal;
import io.smallrye.mutiny.Uni;

/**
 * {@link SeatStore} of a single node, in memory: the same rules as the Redis scripts, decided
 * under one lock, with the seat events handed to a listener inside it, so that a caller holding
 * its own lock around {@link #claimNow} and {@link #releaseNow} sees each change and its events as
 * one step (each call may name its own listener). There are no leases on one node: every node id
 * is alive. A seat can be held for its user after its connection ended ({@link #holdNow}): it
 * still counts in its lobby, the user's next connection to that lobby takes it back, and one to
 * another lobby frees it.
 */
public final class LocalSeatStore implements SeatStore {

    /** {@code awayFor}: why the seat is held after its connection ended; null while connected. */
    private record Holder(String lobby, String userId, String nodeId, LeaveReason awayFor) {
    }

    private final SeatEvents events;
    private final Map<String, Holder> byConnection = new HashMap<>();
    private final Map<String, String> connectionOfUser = new HashMap<>();
    /** Per lobby: user id to connection id, in joining order. */
    private final Map<String, LinkedHashMap<String, String>> lobbies = new HashMap<>();
    /** Per lobby with a seat: its state (SPEC §12). */
    private final Map<String, LocalRoom> rooms = new HashMap<>();
    private long sequence;
    /** How many seats are held now: with none, no lobby has away members to list. */
    private int heldSeats;

    /** {@code events} hears the changes made through {@link #claim} and {@link #release}. */
    public LocalSeatStore(SeatEvents events) {
        this.events = events;
    }

    /** For a caller that names the listener at each {@link #claimNow} and {@link #releaseNow}. */
    public LocalSeatStore() {
        this(null);
    }

    @Override
    public Uni<Claim> claim(Seat seat, int maxPerLobby, OnDuplicate onDuplicate) {
        return Uni.createFrom().item(() -> claimNow(seat, maxPerLobby, onDuplicate, events));
    }

    @Override
    public Uni<Boolean> release(String connectionId, LeaveReason reason) {
        return Uni.createFrom().item(() -> releaseNow(connectionId, reason, events));
    }

    /** Holds the seat (the grace itself is kept by {@link LocalSeating}), or frees it with {@code holdMillis} 0. */
    @Override
    public Uni<Boolean> release(String connectionId, LeaveReason reason, long holdMillis) {
        return Uni.createFrom().item(() -> holdMillis > 0 ? holdNow(connectionId, reason, events)
                : releaseNow(connectionId, reason, events));
    }

    /** {@link #claim}, decided on the calling thread; its seat events go to {@code events}. */
    public synchronized Claim claimNow(Seat seat, int maxPerLobby, OnDuplicate onDuplicate, SeatEvents events) {
        String oldConnection = connectionOfUser.get(seat.userId());
        Holder old = oldConnection == null ? null : byConnection.get(oldConnection);
        boolean held = old != null && old.awayFor() != null;
        if (old != null && !held && onDuplicate == OnDuplicate.REJECT) {
            return new Refused(CloseCode.DUPLICATE_SESSION);
        }
        boolean sameLobby = old != null && old.lobby().equals(seat.lobby());
        LinkedHashMap<String, String> members = lobbies.get(seat.lobby());
        LocalRoom room = rooms.get(seat.lobby());
        // SPEC §1, §12: kicked out, then locked, then full; a member coming back or replacing its
        // connection passes the last two.
        if (room != null && room.keepsOut(seat.userId())) {
            return new Refused(CloseCode.FORBIDDEN);
        }
        if (!sameLobby && room != null && room.locked()) {
            return new Refused(CloseCode.LOBBY_LOCKED);
        }
        int capacity = room == null ? maxPerLobby : room.maxMembers();
        if (!sameLobby && members != null && members.size() >= capacity) {
            return new Refused(CloseCode.LOBBY_FULL);
        }
        Displaced displaced = null;
        if (held && sameLobby) {
            // Back within the grace: the held seat is taken again, in its place among the members.
            heldSeats--;
            byConnection.remove(oldConnection);
            byConnection.put(seat.connectionId(), new Holder(seat.lobby(), seat.userId(), seat.nodeId(), null));
            connectionOfUser.put(seat.userId(), seat.connectionId());
            members.put(seat.userId(), seat.connectionId());
            events.back(seat.lobby(), seat.userId(), oldConnection, seat.connectionId(), ++sequence);
            return new Seated(sequence, new ArrayList<>(members.keySet()),
                    new Displaced(oldConnection, old.nodeId(), old.lobby()), System.currentTimeMillis(), 0, null,
                    HoldEnded.RETURNED, away(seat.lobby()), room.snapshot());
        }
        HoldEnded holdEnded = null;
        if (held) {
            // Gone to another lobby: the held seat is freed; the old lobby hears the user left.
            remove(oldConnection);
            events.left(old.lobby(), seat.userId(), oldConnection, LeaveReason.LEFT, ++sequence);
            seatEnded(old.lobby(), seat.userId(), events);
            old = null;
            holdEnded = HoldEnded.FREED;
        }
        if (old != null) {
            displaced = new Displaced(oldConnection, old.nodeId(), old.lobby());
            byConnection.remove(oldConnection);
            if (sameLobby) {
                // The seat stays in its place among the members (its seating time counts for ownership).
                take(seat);
                events.replaced(seat.lobby(), seat.userId(), oldConnection, seat.connectionId(), ++sequence);
            } else {
                LinkedHashMap<String, String> oldMembers = lobbies.get(old.lobby());
                oldMembers.remove(seat.userId());
                if (oldMembers.isEmpty()) {
                    lobbies.remove(old.lobby());
                }
                connectionOfUser.remove(seat.userId());
                events.left(old.lobby(), seat.userId(), oldConnection, LeaveReason.REPLACED, ++sequence);
                seatEnded(old.lobby(), seat.userId(), events);
            }
        }
        if (!sameLobby) {
            take(seat);
            // The first member seated in an empty lobby owns it.
            room = rooms.computeIfAbsent(seat.lobby(), code -> new LocalRoom(seat.userId(), maxPerLobby));
            events.joined(seat.lobby(), seat.userId(), seat.connectionId(), ++sequence);
        }
        return new Seated(sequence, new ArrayList<>(lobbies.get(seat.lobby()).keySet()), displaced,
                System.currentTimeMillis(), 0, null, holdEnded, away(seat.lobby()), room.snapshot());
    }

    /**
     * After a seat of {@code lobby} ended and its lobby heard it: the member's properties go, the
     * lobby's state goes with its last seat, and when the owner's seat ended, the member seated
     * longest owns the lobby ({@code owner_changed}).
     */
    private void seatEnded(String lobby, String userId, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            return;
        }
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        if (members == null || members.isEmpty()) {
            rooms.remove(lobby);
            return;
        }
        room.seatEnded(userId);
        if (userId.equals(room.owner)) {
            room.owner = members.keySet().iterator().next();
            events.stateChanged(lobby, ServerMessages.ownerChanged(room.owner, userId), ++sequence);
        }
    }

    /** The lobby's members whose seats are held. */
    private List<String> away(String lobby) {
        if (heldSeats == 0) {
            return List.of();
        }
        List<String> away = new ArrayList<>();
        for (Map.Entry<String, String> member : lobbies.get(lobby).entrySet()) {
            Holder holder = byConnection.get(member.getValue());
            if (holder != null && holder.awayFor() != null) {
                away.add(member.getKey());
            }
        }
        return away;
    }

    /** {@link #release}, decided on the calling thread; its seat event goes to {@code events}. Also ends a held seat. */
    public synchronized boolean releaseNow(String connectionId, LeaveReason reason, SeatEvents events) {
        Holder holder = remove(connectionId);
        if (holder == null) {
            return false;
        }
        events.left(holder.lobby(), holder.userId(), connectionId, reason, ++sequence);
        seatEnded(holder.lobby(), holder.userId(), events);
        return true;
    }

    /**
     * The connection ended for {@code reason}: its seat is held for the user (SPEC §10) and
     * {@code events} hears it is away. False when it had no seat, or it is held already.
     */
    public synchronized boolean holdNow(String connectionId, LeaveReason reason, SeatEvents events) {
        Holder holder = byConnection.get(connectionId);
        if (holder == null || holder.awayFor() != null) {
            return false;
        }
        byConnection.put(connectionId, new Holder(holder.lobby(), holder.userId(), holder.nodeId(), reason));
        heldSeats++;
        events.away(holder.lobby(), holder.userId(), connectionId, reason, ++sequence);
        return true;
    }

    private Holder remove(String connectionId) {
        Holder holder = byConnection.remove(connectionId);
        if (holder == null) {
            return null;
        }
        if (holder.awayFor() != null) {
            heldSeats--;
        }
        connectionOfUser.remove(holder.userId());
        LinkedHashMap<String, String> members = lobbies.get(holder.lobby());
        members.remove(holder.userId());
        if (members.isEmpty()) {
            lobbies.remove(holder.lobby());
        }
        return holder;
    }

    /** {@link LobbyStates#updateLobby}, decided on the calling thread; {@code lobby_updated} goes to {@code events}. */
    public synchronized StateAnswer updateLobbyNow(String lobby, String by, LobbyUpdate update, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            return new StateAnswer.Refused(by == null ? Refusal.NO_LOBBY : Refusal.NOT_OWNER);
        }
        if (by != null && !by.equals(room.owner)) {
            return new StateAnswer.Refused(Refusal.NOT_OWNER);
        }
        if (update.expectedVersion() != null && update.expectedVersion() != room.version()) {
            return new StateAnswer.Refused(Refusal.VERSION_CONFLICT);
        }
        room.apply(update);
        LobbyState state = room.snapshot();
        events.stateChanged(lobby, ServerMessages.lobbyUpdated(state, by), ++sequence);
        return new StateAnswer.Changed(state);
    }

    /** {@link LobbyStates#updateMember}, decided on the calling thread; {@code member_updated} goes to {@code events}. */
    public synchronized StateAnswer updateMemberNow(String lobby, String userId, String properties, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        if (room == null || members == null || !members.containsKey(userId)) {
            return new StateAnswer.Refused(Refusal.NOT_MEMBER);
        }
        room.memberProperties(userId, properties);
        events.stateChanged(lobby, ServerMessages.memberUpdated(userId, properties), ++sequence);
        return new StateAnswer.Changed(room.snapshot());
    }

    /**
     * {@link LobbyStates#kick}, decided on the calling thread: the user is kept out first, then its seat
     * (connected or held) is freed as {@code kicked}; {@code events} hears it.
     */
    public synchronized StateAnswer kickNow(String lobby, String by, String userId, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null || !by.equals(room.owner)) {
            return new StateAnswer.Refused(Refusal.NOT_OWNER);
        }
        String connection = lobbies.get(lobby).get(userId);
        if (connection == null) {
            return new StateAnswer.Refused(Refusal.NOT_MEMBER);
        }
        room.kickOut(userId);
        releaseNow(connection, LeaveReason.KICKED, events);
        LocalRoom after = rooms.get(lobby);
        return new StateAnswer.Changed(after == null ? null : after.snapshot());
    }

    /** {@link LobbyStates#setOwner}, decided on the calling thread; {@code owner_changed} goes to {@code events}. */
    public synchronized StateAnswer setOwnerNow(String lobby, String userId, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            return new StateAnswer.Refused(Refusal.NO_LOBBY);
        }
        if (!lobbies.get(lobby).containsKey(userId)) {
            return new StateAnswer.Refused(Refusal.NOT_MEMBER);
        }
        if (!userId.equals(room.owner)) {
            String previous = room.owner;
            room.owner = userId;
            events.stateChanged(lobby, ServerMessages.ownerChanged(userId, previous), ++sequence);
        }
        return new StateAnswer.Changed(room.snapshot());
    }

    /** The lobby's state, or null when it has no seat. */
    public synchronized LobbyState stateNow(String lobby) {
        LocalRoom room = rooms.get(lobby);
        return room == null ? null : room.snapshot();
    }

    /** The user ids seated in a lobby, in joining order (for tests and checks). */
    public synchronized List<String> members(String lobby) {
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        return members == null ? List.of() : List.copyOf(members.keySet());
    }

    private void take(Seat seat) {
        byConnection.put(seat.connectionId(), new Holder(seat.lobby(), seat.userId(), seat.nodeId(), null));
        connectionOfUser.put(seat.userId(), seat.connectionId());
        lobbies.computeIfAbsent(seat.lobby(), code -> new LinkedHashMap<>()).put(seat.userId(), seat.connectionId());
    }
}
