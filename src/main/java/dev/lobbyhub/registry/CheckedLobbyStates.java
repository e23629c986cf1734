package dev.lobbyhub.registry;

import java.util.Optional;

import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.Utf8;
import dev.lobbyhub.registry.StateAnswer.Refusal;
import io.smallrye.mutiny.Uni;

/**
 * The limits of configuration on lobby state changes (SPEC §12: {@code max_members} up to
 * {@code max-per-lobby}, the properties' sizes), checked once for members and the admin API alike
 * before the change reaches where seats are decided.
 */
final class CheckedLobbyStates implements LobbyStates {

    /** The configured limits. */
    record Limits(int maxPerLobby, int maxLobbyPropertiesBytes, int maxMemberPropertiesBytes) {
    }

    private final LobbyStates states;
    private final Limits limits;

    CheckedLobbyStates(LobbyStates states, Limits limits) {
        this.states = states;
        this.limits = limits;
    }

    @Override
    public Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update) {
        if (update.maxMembers() != null && update.maxMembers() > limits.maxPerLobby()) {
            return refused(Refusal.MAX_MEMBERS_OUT_OF_RANGE);
        }
        if (update.properties() != null && Utf8.length(update.properties()) > limits.maxLobbyPropertiesBytes()) {
            return refused(Refusal.PROPERTIES_TOO_LARGE);
        }
        return states.updateLobby(lobby, by, update);
    }

    @Override
    public Uni<StateAnswer> updateMember(String lobby, String userId, String properties) {
        if (Utf8.length(properties) > limits.maxMemberPropertiesBytes()) {
            return refused(Refusal.PROPERTIES_TOO_LARGE);
        }
        return states.updateMember(lobby, userId, properties);
    }

    @Override
    public Uni<StateAnswer> kick(String lobby, String by, String userId) {
        return states.kick(lobby, by, userId);
    }

    @Override
    public Uni<StateAnswer> setOwner(String lobby, String userId) {
        return states.setOwner(lobby, userId);
    }

    @Override
    public Uni<Optional<LobbyState>> state(String lobby) {
        return states.state(lobby);
    }

    private static Uni<StateAnswer> refused(Refusal why) {
        return Uni.createFrom().item(new StateAnswer.Refused(why));
    }
}
