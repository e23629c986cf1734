package dev.lobbyhub.cluster;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.StateAnswer;
import io.smallrye.mutiny.Uni;

/**
 * The lobbies' state (SPEC §12) as the admin API reads and changes it, for the whole cluster: kept
 * where the seats are decided (this node, or Redis in cluster mode). A {@code Uni} fails only when
 * the store cannot answer (the admin API then answers 503).
 */
@ApplicationScoped
public class LobbyRooms {

    private final ConnectionRegistry registry;

    public LobbyRooms(ConnectionRegistry registry) {
        this.registry = registry;
    }

    /** The lobby's state, or empty when nobody holds a seat in it. */
    public Uni<Optional<LobbyState>> state(String lobby) {
        return registry.lobbyStates().state(lobby);
    }

    /** The game backend's {@code lobby_update}: needs no ownership, its {@code lobby_updated} has {@code by: null}. */
    public Uni<StateAnswer> update(String lobby, LobbyUpdate update) {
        return registry.lobbyStates().updateLobby(lobby, null, update);
    }

    /** A game backend's new lobby (SPEC §13): its state, or null when its code is taken. */
    public Uni<LobbyState> create(LobbyDirectory.NewLobby lobby) {
        return registry.directory().create(lobby);
    }

    /** Seats for a party, all or none (SPEC §13). */
    public Uni<LobbyDirectory.PartyAnswer> reserve(String lobby, List<String> userIds) {
        return registry.directory().reserve(lobby, userIds);
    }

    /** Hands the lobby to a user who holds a seat in it. */
    public Uni<StateAnswer> setOwner(String lobby, String userId) {
        return registry.lobbyStates().setOwner(lobby, userId);
    }
}
