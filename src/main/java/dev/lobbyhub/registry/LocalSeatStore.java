package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.PropertyMatch;
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
 * another lobby frees it. A seat can also be reserved for a user who has not connected yet (SPEC
 * §13): it counts in its lobby but is no member, the user's connection to that lobby takes it, and
 * it ends silently at its deadline ({@link #expireNow}).
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
    /** The directory's indexes of public lobbies (SPEC §13). */
    private final LocalDirectoryIndex directory = new LocalDirectoryIndex();
    /** User id to the lobby a seat is reserved for it in. */
    private final Map<String, String> reservationOf = new HashMap<>();
    /** Lobbies a game backend made without an owner, kept without seats for a while. */
    private final Set<String> keptEmpty = new HashSet<>();
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
        boolean reservedHere = seat.lobby().equals(reservationOf.get(seat.userId()));
        // SPEC §1, §12, §13: kicked out, then locked, then full; a member coming back or replacing its
        // connection, and a reservation, pass the last two.
        if (room != null && room.keepsOut(seat.userId())) {
            return new Refused(CloseCode.FORBIDDEN);
        }
        boolean passes = sameLobby || reservedHere;
        if (!passes && room != null && room.locked()) {
            return new Refused(CloseCode.LOBBY_LOCKED);
        }
        int capacity = room == null ? maxPerLobby : room.maxMembers();
        int taken = (members == null ? 0 : members.size()) + (room == null ? 0 : room.reserved.size());
        if (!passes && taken >= capacity) {
            return new Refused(CloseCode.LOBBY_FULL);
        }
        if (reservedHere) {
            // Taken by the user's connection: a seat like any other from now on (SPEC §13).
            reservationOf.remove(seat.userId());
            room.reserved.remove(seat.userId());
        } else if (reservationOf.containsKey(seat.userId())) {
            // Connecting elsewhere ends it.
            endReservation(seat.userId(), events);
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
            room = rooms.get(seat.lobby());
            if (room == null) {
                room = new LocalRoom(seat.userId(), maxPerLobby);
                rooms.put(seat.lobby(), room);
            } else if (room.owner == null) {
                room.owner = seat.userId();
            }
            keptEmpty.remove(seat.lobby());
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
        if ((members == null || members.isEmpty()) && room.reserved.isEmpty() && !keptEmpty.contains(lobby)) {
            dropRoom(lobby);
            return;
        }
        room.seatEnded(userId);
        if (userId.equals(room.owner)) {
            // To the member seated longest; with none, to a reservation (the owner always holds a seat).
            String next = members != null && !members.isEmpty() ? members.keySet().iterator().next()
                    : room.reserved.isEmpty() ? null : room.reserved.keySet().iterator().next();
            room.owner = next;
            if (next != null) {
                events.stateChanged(lobby, ServerMessages.ownerChanged(next, userId), ++sequence);
            }
        }
    }

    private void dropRoom(String lobby) {
        LocalRoom room = rooms.remove(lobby);
        directory.remove(lobby);
        keptEmpty.remove(lobby);
        if (room != null) {
            for (String user : room.reserved.keySet()) {
                reservationOf.remove(user);
            }
        }
    }

    /** After a change of the lobby's seats, reservations or settings: the directory indexes it as it is now. */
    private void reindex(String lobby) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            directory.remove(lobby);
        } else {
            directory.update(lobby, room, freeSeats(lobby, room));
        }
    }

    /** Ends the user's reservation, silently; the lobby goes when that was its last seat. */
    private void endReservation(String userId, SeatEvents events) {
        String lobby = reservationOf.remove(userId);
        LocalRoom room = lobby == null ? null : rooms.get(lobby);
        if (room != null && room.reserved.remove(userId) != null) {
            seatEnded(lobby, userId, events);
            reindex(lobby);
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
        reindex(holder.lobby());
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
        reindex(lobby);
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
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        String connection = members == null ? null : members.get(userId);
        boolean reserved = room.reserved.containsKey(userId);
        if (connection == null && !reserved) {
            return new StateAnswer.Refused(Refusal.NOT_MEMBER);
        }
        room.kickOut(userId);
        if (connection != null) {
            releaseNow(connection, LeaveReason.KICKED, events);
        } else {
            endReservation(userId, events);
            if (lobbies.containsKey(lobby)) {
                // Never in presence, but SPEC §12 has every member hear the kick, in the lobby's order.
                events.stateChanged(lobby, ServerMessages.memberLeft(userId, LeaveReason.KICKED.wire()), ++sequence);
            }
        }
        LocalRoom after = rooms.get(lobby);
        return new StateAnswer.Changed(after == null ? null : after.snapshot());
    }

    /** {@link LobbyStates#setOwner}, decided on the calling thread; {@code owner_changed} goes to {@code events}. */
    public synchronized StateAnswer setOwnerNow(String lobby, String userId, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            return new StateAnswer.Refused(Refusal.NO_LOBBY);
        }
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        if ((members == null || !members.containsKey(userId)) && !room.reserved.containsKey(userId)) {
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

    /** {@link LobbyDirectory#list}, decided on the calling thread. */
    public synchronized LobbyDirectory.Page listNow(LobbyDirectory.Query query, String afterCode, int limit) {
        List<LobbyDirectory.Listed> page = new ArrayList<>(Math.min(limit, 64));
        NavigableSet<String> index = directory.publicLobbies(query.match());
        Iterable<String> codes = afterCode == null ? index : index.tailSet(afterCode, false);
        for (String code : codes) {
            LocalRoom room = rooms.get(code);
            if (!listed(code, room, query)) {
                continue;
            }
            if (page.size() == limit) {
                return new LobbyDirectory.Page(page, page.get(page.size() - 1).code());
            }
            page.add(new LobbyDirectory.Listed(code, memberCount(code), room.maxMembers(), room.owner, room.locked(),
                    room.properties()));
        }
        return new LobbyDirectory.Page(page, null);
    }

    private boolean listed(String code, LocalRoom room, LobbyDirectory.Query query) {
        return (query.only() == null || query.only().contains(code))
                && (!query.hasSpace() || (!room.locked() && freeSeats(code, room) > 0))
                && PropertyMatch.matches(room.tokens(), query.match());
    }

    private int memberCount(String lobby) {
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        return members == null ? 0 : members.size();
    }

    private int freeSeats(String lobby, LocalRoom room) {
        return room.maxMembers() - memberCount(lobby) - room.reserved.size();
    }

    /**
     * {@link LobbyDirectory#quickJoin}, decided on the calling thread: the user's seat or reservation
     * if it has one, else a reservation in the fullest fitting lobby, else in {@code ifNone}, made now.
     */
    public synchronized LobbyDirectory.QuickJoin quickJoinNow(String userId, LobbyDirectory.Query query,
            LobbyDirectory.NewLobby ifNone, long ttlMillis, long nowMillis) {
        String seatedIn = connectionOfUser.containsKey(userId)
                ? byConnection.get(connectionOfUser.get(userId)).lobby() : null;
        if (seatedIn != null) {
            return new LobbyDirectory.Placed(seatedIn, false, 0);
        }
        String reservedIn = reservationOf.get(userId);
        if (reservedIn != null) {
            long until = rooms.get(reservedIn).reserved.get(userId);
            return new LobbyDirectory.Placed(reservedIn, false, Math.max(1, until - nowMillis));
        }
        String best = null;
        if (query.only() == null) {
            // Fullest first: the first open lobby of the narrowest index that fits.
            for (LocalDirectoryIndex.Open open : directory.openLobbies(query.match())) {
                LocalRoom room = rooms.get(open.code());
                if (!room.keepsOut(userId) && PropertyMatch.matches(room.tokens(), query.match())) {
                    best = open.code();
                    break;
                }
            }
        } else {
            int bestFree = Integer.MAX_VALUE;
            for (String code : new TreeSet<>(query.only())) {
                LocalRoom room = rooms.get(code);
                if (room == null || !room.isPublic() || room.locked() || room.keepsOut(userId)
                        || !PropertyMatch.matches(room.tokens(), query.match())) {
                    continue;
                }
                int free = freeSeats(code, room);
                if (free > 0 && free < bestFree) {
                    best = code;
                    bestFree = free;
                }
            }
        }
        if (best != null) {
            reserveSeat(best, rooms.get(best), userId, nowMillis + ttlMillis);
            return new LobbyDirectory.Placed(best, false, ttlMillis);
        }
        if (ifNone == null) {
            return new LobbyDirectory.NoLobby();
        }
        if (rooms.containsKey(ifNone.code()) || lobbies.containsKey(ifNone.code())) {
            return new LobbyDirectory.CodeTaken();
        }
        LocalRoom made = newRoom(ifNone);
        reserveSeat(ifNone.code(), made, userId, nowMillis + ttlMillis);
        return new LobbyDirectory.Placed(ifNone.code(), true, ttlMillis);
    }

    /** {@link LobbyDirectory#reserve}, decided on the calling thread: all or none. */
    public synchronized LobbyDirectory.PartyAnswer reserveNow(String lobby, List<String> userIds, long ttlMillis,
            long nowMillis, SeatEvents events) {
        LocalRoom room = rooms.get(lobby);
        if (room == null) {
            return LobbyDirectory.PartyAnswer.NO_LOBBY;
        }
        LinkedHashMap<String, String> members = lobbies.get(lobby);
        int needed = 0;
        for (String user : userIds) {
            if (room.keepsOut(user)) {
                return LobbyDirectory.PartyAnswer.FORBIDDEN;
            }
            if ((members == null || !members.containsKey(user)) && !room.reserved.containsKey(user)) {
                needed++;
            }
        }
        if (needed > freeSeats(lobby, room)) {
            return LobbyDirectory.PartyAnswer.LOBBY_FULL;
        }
        for (String user : userIds) {
            if (members != null && members.containsKey(user)) {
                continue;
            }
            if (!lobby.equals(reservationOf.get(user))) {
                endReservation(user, events);
            }
            reserveSeat(lobby, room, user, nowMillis + ttlMillis);
        }
        return LobbyDirectory.PartyAnswer.RESERVED;
    }

    /**
     * {@link LobbyDirectory#create}, decided on the calling thread; null when the code is taken. Its
     * owner gets a reservation; a lobby without one is kept empty for {@code ttlMillis}.
     */
    public synchronized LobbyState createNow(LobbyDirectory.NewLobby lobby, long ttlMillis, long nowMillis,
            SeatEvents events) {
        if (rooms.containsKey(lobby.code()) || lobbies.containsKey(lobby.code())) {
            return null;
        }
        LocalRoom room = newRoom(lobby);
        if (lobby.owner() != null) {
            endReservation(lobby.owner(), events);
            reserveSeat(lobby.code(), room, lobby.owner(), nowMillis + ttlMillis);
        } else {
            keptEmpty.add(lobby.code());
            room.keptUntil = nowMillis + ttlMillis;
        }
        return room.snapshot();
    }

    /** {@link LobbyDirectory#cancelReservation}, decided on the calling thread. */
    public synchronized boolean cancelReservationNow(String userId, SeatEvents events) {
        if (!reservationOf.containsKey(userId)) {
            return false;
        }
        endReservation(userId, events);
        return true;
    }

    /** Ends the reservations due by {@code nowMillis}, and the empty lobbies kept until then; how many reservations ended. */
    public synchronized int expireNow(long nowMillis, SeatEvents events) {
        int ended = 0;
        if (!reservationOf.isEmpty()) {
            List<String> due = new ArrayList<>();
            reservationOf.forEach((user, lobby) -> {
                if (rooms.get(lobby).reserved.get(user) <= nowMillis) {
                    due.add(user);
                }
            });
            for (String user : due) {
                endReservation(user, events);
                ended++;
            }
        }
        if (!keptEmpty.isEmpty()) {
            for (String lobby : List.copyOf(keptEmpty)) {
                LocalRoom room = rooms.get(lobby);
                if (room == null || room.keptUntil <= nowMillis) {
                    keptEmpty.remove(lobby);
                    if (room != null && memberCount(lobby) == 0 && room.reserved.isEmpty()) {
                        dropRoom(lobby);
                    }
                }
            }
        }
        return ended;
    }

    /** How many seats are reserved now (for tests and checks). */
    public synchronized int reservations() {
        return reservationOf.size();
    }

    private LocalRoom newRoom(LobbyDirectory.NewLobby lobby) {
        LocalRoom room = new LocalRoom(lobby.owner(), lobby.visibility(), lobby.maxMembers(), lobby.properties(),
                lobby.tokens());
        rooms.put(lobby.code(), room);
        reindex(lobby.code());
        return room;
    }

    private void reserveSeat(String lobby, LocalRoom room, String userId, long untilMillis) {
        room.reserved.put(userId, untilMillis);
        reservationOf.put(userId, lobby);
        keptEmpty.remove(lobby);
        reindex(lobby);
    }

    private void take(Seat seat) {
        byConnection.put(seat.connectionId(), new Holder(seat.lobby(), seat.userId(), seat.nodeId(), null));
        connectionOfUser.put(seat.userId(), seat.connectionId());
        lobbies.computeIfAbsent(seat.lobby(), code -> new LinkedHashMap<>()).put(seat.userId(), seat.connectionId());
        reindex(seat.lobby());
    }
}
