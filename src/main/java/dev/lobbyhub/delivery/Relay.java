package dev.lobbyhub.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.ClientMessage;
import dev.lobbyhub.protocol.ErrorCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;

/** Carries out one well-formed client message: relay to the lobby or one member, or answer the sender. */
@ApplicationScoped
public class Relay {

    /** Round-trip times outside this range come from a client echoing a made-up timestamp. */
    static final long MAX_PLAUSIBLE_RTT_MS = 60_000;

    private final ConnectionRegistry registry;
    private final LobbyhubMetrics metrics;
    private final PongWaiters pongWaiters;

    Relay(ConnectionRegistry registry, LobbyhubMetrics metrics, PongWaiters pongWaiters) {
        this.registry = registry;
        this.metrics = metrics;
        this.pongWaiters = pongWaiters;
    }

    public void handle(Session from, ClientMessage message) {
        if (message instanceof ClientMessage.LobbyMessage lobbyMessage) {
            String text = ServerMessages.relayed("lobby_message", from.userId(), lobbyMessage.data(),
                    System.currentTimeMillis());
            int delivered = 0;
            for (Session member : from.lobbyMembers()) {
                if (member != from) {
                    member.send(text);
                    delivered++;
                }
            }
            metrics.delivered(delivered);
        } else if (message instanceof ClientMessage.DirectMessage direct) {
            Session to = registry.findUser(direct.to());
            if (to == null || !to.isOpen() || !to.lobby().equals(from.lobby())) {
                metrics.dropped(DropReason.USER_NOT_FOUND);
                from.send(ServerMessages.error(ErrorCode.USER_NOT_FOUND,
                        "no member " + direct.to() + " in this lobby", direct.id()));
                return;
            }
            to.send(ServerMessages.relayed("direct_message", from.userId(), direct.data(), System.currentTimeMillis()));
            metrics.delivered(1);
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
