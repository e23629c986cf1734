package dev.lobbyhub.delivery;

import java.util.function.Predicate;

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
import dev.lobbyhub.registry.Session;

/**
 * Carries out one well-formed client message: relay to the lobby or one member, or answer the
 * sender. Frames are built once; this node's members get them at once, and the {@link LobbyLink}
 * carries them to the lobby's members on other nodes (cluster mode).
 */
@ApplicationScoped
public class Relay {

    /** Round-trip times outside this range come from a client echoing a made-up timestamp. */
    static final long MAX_PLAUSIBLE_RTT_MS = 60_000;

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final PongWaiters pongWaiters;
    private final LobbyLink link;

    Relay(ConnectionRegistry registry, LobbyhubMetrics metrics, PongWaiters pongWaiters, LobbyLink link) {
        this.registry = registry;
        this.metrics = metrics;
        this.pongWaiters = pongWaiters;
        this.link = link;
    }

    /** A {@code lobby_message} or {@code direct_message} frame; {@code from} null means the game backend. */
    public static String frame(String type, String from, JsonNode data) {
        return ServerMessages.relayed(type, from, data, System.currentTimeMillis());
    }

    /**
     * Sends {@code lobby_message} to every member that {@code skip} does not exclude, built once;
     * {@code from} null means the game backend. Returns how many members it was handed to.
     */
    public int toLobby(Session[] members, String from, JsonNode data, Predicate<Session> skip) {
        return toLobby(members, frame("lobby_message", from, data), skip);
    }

    /** Hands a finished frame to every member that {@code skip} does not exclude; answers how many. */
    public int toLobby(Session[] members, String text, Predicate<Session> skip) {
        int delivered = 0;
        for (Session member : members) {
            if (!skip.test(member)) {
                member.send(text);
                delivered++;
            }
        }
        metrics.delivered(delivered);
        return delivered;
    }

    /** A member's {@code lobby_message} or {@code direct_message} frame, its data as the member wrote it. */
    static String frame(String type, String from, RawJson data) {
        return ServerMessages.relayed(type, from, data, System.currentTimeMillis());
    }

    /** Sends {@code direct_message} to one member; {@code from} null means the game backend. */
    public void toMember(Session to, String from, JsonNode data) {
        toMember(to, frame("direct_message", from, data));
    }

    /** Hands a finished frame to one member. */
    public void toMember(Session to, String text) {
        to.send(text);
        metrics.delivered(1);
    }

    public void handle(Session from, ClientMessage message) {
        if (message instanceof ClientMessage.LobbyMessage lobbyMessage) {
            String text = frame("lobby_message", from.userId(), lobbyMessage.data());
            toLobby(from.lobbyMembers(), text, member -> member == from);
            link.toLobby(from.lobby(), text);
        } else if (message instanceof ClientMessage.DirectMessage direct) {
            Session to = registry.findUser(direct.to());
            boolean here = to != null && to.isOpen() && to.lobby().equals(from.lobby());
            if (here) {
                toMember(to, frame("direct_message", from.userId(), direct.data()));
            } else if (!link.toMember(from.lobby(), direct.to(),
                    frame("direct_message", from.userId(), direct.data()))) {
                metrics.dropped(DropReason.USER_NOT_FOUND);
                from.send(ServerMessages.error(ErrorCode.USER_NOT_FOUND,
                        "no member " + direct.to() + " in this lobby", direct.id()));
            }
        } else if (message instanceof ClientMessage.Ping ping) {
            from.send(ServerMessages.pong(ping.id(), System.currentTimeMillis()));
        } else if (message instanceof ClientMessage.HealthPong pong) {
            long rtt = System.currentTimeMillis() - pong.timestamp();
            if (rtt >= 0 && rtt <= MAX_PLAUSIBLE_RTT_MS) {
                from.recordRtt(rtt);
                metrics.pingRtt(rtt);
                pongWaiters.pong(from, pong.timestamp(), rtt);
            }
        }
    }
}
