package dev.lobbyhub.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.ClientMessage;
import dev.lobbyhub.protocol.ErrorCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import dev.lobbyhub.registry.StateAnswer;
import io.smallrye.mutiny.Uni;

/**
 * A member's requests about its lobby's state (SPEC §12): the owner's {@code lobby_update} and
 * {@code kick}, anyone's {@code member_update}, decided where the lobby's seats are. A change is
 * heard by every member, the sender included, as a frame of the lobby's log; a refusal is one
 * {@code error} to the sender alone.
 */
@ApplicationScoped
public class LobbyStateRequests {

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final int maxPerLobby;

    LobbyStateRequests(ConnectionRegistry registry, LobbyhubMetrics metrics, LobbyhubConfig config) {
        this.registry = registry;
        this.metrics = metrics;
        this.maxPerLobby = config.limits().maxPerLobby();
    }

    void lobbyUpdate(Session from, ClientMessage.LobbyUpdate update) {
        answer(from, update.id(), registry.lobbyStates().updateLobby(from.lobby(), from.userId(), update));
    }

    void memberUpdate(Session from, ClientMessage.MemberUpdate update) {
        answer(from, update.id(), registry.lobbyStates().updateMember(from.lobby(), from.userId(), update.properties()));
    }

    void kick(Session from, ClientMessage.Kick kick) {
        answer(from, kick.id(), registry.lobbyStates().kick(from.lobby(), from.userId(), kick.userId()));
    }

    /** A refusal is the sender's {@code error}; a change was told to the lobby already. */
    private void answer(Session from, JsonNode id, Uni<StateAnswer> change) {
        change.subscribe().with(answer -> {
            if (answer instanceof StateAnswer.Refused refused) {
                from.send(error(refused.why(), id));
            }
        }, unanswered -> metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE));
    }

    private String error(StateAnswer.Refusal why, JsonNode id) {
        return switch (why) {
            case PROPERTIES_TOO_LARGE -> ServerMessages.error(ErrorCode.PROPERTIES_TOO_LARGE,
                    "properties over lobbyhub.limits.max-lobby-properties-bytes or max-member-properties-bytes", id);
            case MAX_MEMBERS_OUT_OF_RANGE -> ServerMessages.error(ErrorCode.INVALID_MESSAGE,
                    "max_members must be a whole number from 1 to " + maxPerLobby, id);
            case VERSION_CONFLICT -> ServerMessages.error(ErrorCode.VERSION_CONFLICT,
                    "expected_version is not the lobby's version: nothing changed", id);
            case NOT_MEMBER -> ServerMessages.error(ErrorCode.USER_NOT_FOUND, "no such member in this lobby", id);
            default -> ServerMessages.error(ErrorCode.NOT_OWNER, "only the lobby's owner may do this", id);
        };
    }
}
