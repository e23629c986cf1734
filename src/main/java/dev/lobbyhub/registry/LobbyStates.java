package dev.lobbyhub.registry;

import java.util.Optional;

import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LobbyState;
import io.smallrye.mutiny.Uni;

/**
 * Lobby state beside the seats (SPEC §12): kept by the same store, so a lock, a lobby's own capacity
 * and a kicked user's exclusion are decided in the same step as a claim, and ownership passes in the
 * same step as the owner's seat ends. Every change is one atomic step that also tells the lobby, in
 * its one order; a {@code Uni} fails only when the store cannot answer.
 */
public interface LobbyStates {

    /**
     * Changes the lobby's settings as its owner {@code by} asks (null: the game backend, which needs
     * no ownership): {@code lobby_updated} to every member.
     */
    Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update);

    /** Replaces a member's own properties: {@code member_updated} to every member. */
    Uni<StateAnswer> updateMember(String lobby, String userId, String properties);

    /**
     * The owner {@code by} ends {@code userId}'s seat ({@code member_left kicked}) and keeps the user out
     * of the lobby while it exists. The node holding the user's connection closes it 4006.
     */
    Uni<StateAnswer> kick(String lobby, String by, String userId);

    /** Hands the lobby to {@code userId}, who must hold a seat in it ({@code owner_changed} when it changes). */
    Uni<StateAnswer> setOwner(String lobby, String userId);

    /** The lobby's state, or empty when nobody holds a seat in it. */
    Uni<Optional<LobbyState>> state(String lobby);
}
