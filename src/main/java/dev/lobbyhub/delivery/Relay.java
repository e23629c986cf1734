package dev.lobbyhub.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.registry.LobbyLink;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.ClientMessage;
import dev.lobbyhub.protocol.ErrorCode;
import dev.lobbyhub.protocol.RawJson;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Posted;
import dev.lobbyhub.registry.Session;

/**
 * Carries out one well-formed client message: relay to the lobby or one member, answer the
 * sender, or hand a lobby state request to {@link LobbyStateRequests}. Frames are built once; this node's members get them in their lobby's order (the
 * registry's lobby log), and the {@link LobbyLink} carries them to the lobby's members on other
 * nodes (cluster mode).
 */
@ApplicationScoped
public class Relay {

    /** Round-trip times outside this range come from a client echoing a made-up timestamp. */
    static final long MAX_PLAUSIBLE_RTT_MS = 60_000;

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final PongWaiters pongWaiters;
    private final LobbyLink link;
    private final LobbyStateRequests lobbyState;

    Relay(ConnectionRegistry registry, LobbyhubMetrics metrics, PongWaiters pongWaiters, LobbyLink link,
            LobbyStateRequests lobbyState) {
        this.registry = registry;
        this.lobbyState = lobbyState;
        this.metrics = metrics;
        this.pongWaiters = pongWaiters;
        this.link = link;
    }

    /** A {@code lobby_message} or {@code direct_message} frame; {@code from} null means the game backend. */
    public static String frame(String type, String from, JsonNode data) {
        return ServerMessages.relayed(type, from, data, System.currentTimeMillis());
    }

    /**
     * Hands a finished frame to the lobby's members on this node but {@code exceptUserId} (null:
     * none), in the lobby's order; answers its offset in the lobby's log and how many got it.
     */
    public Posted toLobby(String lobby, String frame, String exceptUserId) {
        return counted(registry.toLobby(lobby, frame, exceptUserId));
    }

    /** An entry of the cluster's lobby log at its offset, for the lobby's members on this node it is meant for. */
    public Posted toLobbyAt(String lobby, long offset, String frame, String only, String except) {
        return counted(registry.toLobbyAt(lobby, offset, frame, only, except));
    }

    /** A member's {@code lobby_message} or {@code direct_message} frame, its data as the member wrote it. */
    static String frame(String type, String from, RawJson data) {
        return ServerMessages.relayed(type, from, data, System.currentTimeMillis());
    }

    /** Hands a finished frame to one member, in its lobby's order. */
    public Posted toMember(Session to, String frame) {
        return counted(registry.toMember(to, frame));
    }

    /**
     * A direct message for a member of this node (from the game backend): through the cluster's
     * lobby log when it numbers the lobby's frames, else at once.
     */
    public void direct(Session to, String frame) {
        if (link.numbers() && link.reachable()) {
            link.append(to.lobby(), frame, to.userId(), null).subscribe().with(offset -> {
            }, unanswered -> metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE));
        } else {
            toMember(to, frame);
        }
    }

    private Posted counted(Posted posted) {
        metrics.delivered(posted.delivered());
        return posted;
    }

    public void handle(Session from, ClientMessage message) {
        if (message instanceof ClientMessage.LobbyMessage lobbyMessage) {
            String text = frame("lobby_message", from.userId(), lobbyMessage.data());
            if (link.numbers()) {
                appendToLog(from, lobbyMessage.id(), text, null);
                return;
            }
            acknowledge(from, lobbyMessage.id(), counted(registry.toLobby(from, text)));
            link.toLobby(from.lobby(), text);
        } else if (message instanceof ClientMessage.DirectMessage direct) {
            // An away member of this lobby reads it from the log when it comes back (SPEC §10).
            Session to = registry.findRecipient(direct.to());
            boolean here = to != null && (to.isOpen() || to.isAway()) && to.lobby().equals(from.lobby());
            String text = frame("direct_message", from.userId(), direct.data());
            if (link.numbers() && (here || link.hasMember(from.lobby(), direct.to()))) {
                appendToLog(from, direct.id(), text, here ? to : null, direct.to());
            } else if (here) {
                acknowledge(from, direct.id(), toMember(to, text));
            } else if (!link.toMember(from.lobby(), direct.to(), text)) {
                metrics.dropped(DropReason.USER_NOT_FOUND);
                from.send(ServerMessages.error(ErrorCode.USER_NOT_FOUND,
                        "no member " + direct.to() + " in this lobby", direct.id()));
            }
        } else if (message instanceof ClientMessage.Ping ping) {
            from.send(ServerMessages.pong(ping.id(), System.currentTimeMillis()));
        } else if (message instanceof ClientMessage.LobbyUpdate update) {
            lobbyState.lobbyUpdate(from, update);
        } else if (message instanceof ClientMessage.MemberUpdate update) {
            lobbyState.memberUpdate(from, update);
        } else if (message instanceof ClientMessage.Kick kick) {
            lobbyState.kick(from, kick);
        } else if (message instanceof ClientMessage.HealthPong pong) {
            long rtt = System.currentTimeMillis() - pong.timestamp();
            if (rtt >= 0 && rtt <= MAX_PLAUSIBLE_RTT_MS) {
                from.recordRtt(rtt);
                metrics.pingRtt(rtt);
                pongWaiters.pong(from, pong.timestamp(), rtt);
            }
        }
    }

    /**
     * A member's message through the cluster's lobby log (for the lobby, or {@code toUser} alone);
     * acknowledged with its offset. While the log cannot take it (Redis known to be unreachable),
     * the members of this node still get it, without an offset (SPEC §9, §11); the others do not.
     * A message sent and then not answered in time may still be in the log: it is not delivered
     * here a second time.
     */
    private void appendToLog(Session from, JsonNode id, String frame, String toUser) {
        appendToLog(from, id, frame, null, toUser);
    }

    private void appendToLog(Session from, JsonNode id, String frame, Session toHere, String toUser) {
        if (!link.reachable()) {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            link.deliveredHere(from.lobby(), from.userId());
            if (toUser == null) {
                counted(registry.toLobby(from, frame));
            } else if (toHere != null) {
                toMember(toHere, frame);
            }
            return;
        }
        link.append(from.lobby(), frame, toUser, toUser == null ? from.userId() : null).subscribe().with(
                offset -> acknowledge(from, id, new Posted(offset, 0)),
                unanswered -> metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE));
    }

    /** A message with an {@code id} is answered with {@code ack} once it is in the lobby's log (SPEC §11). */
    private static void acknowledge(Session from, JsonNode id, Posted posted) {
        if (id != null && posted.offset() > 0) {
            from.send(ServerMessages.ack(id, posted.offset()));
        }
    }
}
