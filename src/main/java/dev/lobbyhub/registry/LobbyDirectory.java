package dev.lobbyhub.registry;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.lobbyhub.protocol.LobbyState;
import io.smallrye.mutiny.Uni;

/**
 * The lobby directory and reservations (SPEC §13), kept by the same store as the seats, so a
 * reservation is decided in one step with every claim: it counts towards the lobby's capacity, is
 * not shown in presence, and the user's connection to that lobby takes it. A {@code Uni} fails only
 * when the store cannot answer.
 */
public interface LobbyDirectory {

    /**
     * Which public lobbies a call considers: per property key, the tokens accepted
     * ({@link dev.lobbyhub.protocol.PropertyMatch}); {@code hasSpace}: unlocked ones with a free seat
     * only; {@code only}: a token's {@code lobbies} claim (null: any lobby).
     */
    record Query(Map<String, Set<String>> match, boolean hasSpace, Set<String> only) {
    }

    /** One public lobby as the directory lists it; {@code max} is its {@code max_members}. */
    record Listed(String code, int memberCount, int max, String owner, boolean locked, String properties) {
    }

    /** {@code nextCursor}: where the next page starts, null after the last one. */
    record Page(List<Listed> lobbies, String nextCursor) {
    }

    /**
     * A lobby to make: {@code code} chosen by the server, {@code owner} null for a lobby a game backend
     * made without one (kept empty for the reservation time), {@code tokens} its properties' matchable
     * tokens.
     */
    record NewLobby(String code, String owner, String visibility, int maxMembers, String properties,
            Map<String, String> tokens) {
    }

    /** What a quick join did. */
    sealed interface QuickJoin {
    }

    /**
     * A seat for the user in {@code lobby}: reserved for {@code reservedMillis} more, or 0 when the
     * user holds a seat there already; {@code created} when the lobby was made for it.
     */
    record Placed(String lobby, boolean created, long reservedMillis) implements QuickJoin {
    }

    /** No lobby fits and none may be made (a token's {@code lobbies} claim). */
    record NoLobby() implements QuickJoin {
    }

    /** The server-chosen code is taken: ask again with another. */
    record CodeTaken() implements QuickJoin {
    }

    /** What reserving seats for a party did (all or none). */
    enum PartyAnswer {
        RESERVED,
        /** They do not all fit: nothing reserved. */
        LOBBY_FULL,
        /** Nobody holds a seat in the lobby. */
        NO_LOBBY,
        /** One of them was kicked out of the lobby by its owner. */
        FORBIDDEN
    }

    /** Public lobbies in code order after {@code afterCode} (null: from the first). */
    Uni<Page> list(Query query, String afterCode, int limit);

    /**
     * Reserves a seat for the user in the fullest public, unlocked lobby the query matches with a free
     * seat; else makes {@code ifNone} (null: make none) with this user as owner.
     */
    Uni<QuickJoin> quickJoin(String userId, Query query, NewLobby ifNone);

    /** Reserves a seat in the lobby for each user, all or none (users seated there already need none). */
    Uni<PartyAnswer> reserve(String lobby, List<String> userIds);

    /**
     * Makes a lobby (its owner, when named, gets a reservation); its state, or null when the code is
     * taken.
     */
    Uni<LobbyState> create(NewLobby lobby);

    /** Ends the user's reservation (an admin kick); false when it holds none. */
    Uni<Boolean> cancelReservation(String userId);
}
