package dev.lobbyhub.endpoint;

import java.io.IOException;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.auth.InvalidTokenException;
import dev.lobbyhub.auth.TokenVerifier;
import dev.lobbyhub.config.AllowedOrigins;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.delivery.InboundRateLimit;
import dev.lobbyhub.delivery.Relay;
import dev.lobbyhub.health.EventLoopLag;
import dev.lobbyhub.health.HandshakePacer;
import dev.lobbyhub.logging.LogText;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.ClientMessage;
import dev.lobbyhub.protocol.ClientMessageParser;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.ErrorCode;
import dev.lobbyhub.protocol.InvalidMessageException;
import dev.lobbyhub.protocol.LobbyCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.Admission;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Resume;
import dev.lobbyhub.registry.Session;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.InboundProcessingMode;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPingMessage;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData.TypedKey;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;

/**
 * {@code /ws/{lobby}}: admission checks in the order of the contract (origin, lobby code, token,
 * lobby allowed by the token, then the {@link Admitter}: draining, capacity, seat), then hands
 * frames to {@link Relay}. Every hook runs on the connection's event loop and never blocks, so the
 * hooks are called as frames arrive ({@code CONCURRENT}) and still run one at a time, in order:
 * the serial mode would only add a queue of its own to every connection (1.2 KB each). In
 * cluster mode admission completes when Redis has answered, and frames a client sends before its
 * {@code welcome} are not read.
 */
@WebSocket(path = "/ws/{lobby}", inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class LobbySocket {

    private static final Logger LOG = Logger.getLogger(LobbySocket.class);
    /** The connection's transport, which knows its session once admitted. */
    private static final TypedKey<WebSocketTransport> TRANSPORT = new TypedKey<>("lobbyhub.transport");
    private static final TypedKey<InboundRateLimit> RATE_LIMIT = new TypedKey<>("lobbyhub.rate-limit");
    private static final Uni<Void> DONE = Uni.createFrom().voidItem();

    private final TokenVerifier verifier;
    private final ConnectionRegistry registry;
    private final Admitter admitter;
    private final Relay relay;
    private final LobbyhubMetrics metrics;
    private final AllowedOrigins allowedOrigins;
    private final long maxOutboundBytes;
    private final int maxFrameSize;
    private final int messagesPerSecond;
    private final int burst;
    private final HandshakePacer handshakes;
    private final EventLoopLag eventLoopLag;

    LobbySocket(TokenVerifier verifier, ConnectionRegistry registry, Admitter admitter, Relay relay,
            LobbyhubMetrics metrics, LobbyhubConfig config, EventLoopLag eventLoopLag,
            // Vert.x's own default when unset; outbound frames are split at the same size.
            @ConfigProperty(name = "quarkus.websockets-next.server.max-frame-size", defaultValue = "65536") int maxFrameSize) {
        this.verifier = verifier;
        this.registry = registry;
        this.admitter = admitter;
        this.relay = relay;
        this.metrics = metrics;
        this.allowedOrigins = AllowedOrigins.of(config.allowedOrigins());
        this.maxOutboundBytes = config.limits().maxOutboundBytes();
        this.maxFrameSize = maxFrameSize;
        this.messagesPerSecond = config.limits().messagesPerSecond();
        this.burst = config.limits().burst();
        this.eventLoopLag = eventLoopLag;
        this.handshakes = new HandshakePacer(config.limits().handshakesPerSecond(), config.limits().handshakeBurst());
    }

    @OnOpen
    public Uni<Void> onOpen(WebSocketConnection connection) {
        FrameGuard guard = connection.userData().get(FrameGuardInstaller.GUARD);
        if (guard != null) {
            guard.opened();
        }
        // First, and before the token check: a storm of reconnects is refused as cheaply as it can be.
        long busyHint = handshakes.admit();
        if (busyHint >= 0) {
            return reject(connection, CloseCode.SERVER_BUSY, null, "over lobbyhub.limits.handshakes-per-second", busyHint);
        }
        if (eventLoopLag.busy()) {
            return reject(connection, CloseCode.SERVER_BUSY, null, "event loops lag " + eventLoopLag.lag().toMillis()
                    + " ms, over lobbyhub.limits.max-event-loop-lag", handshakes.refuse(eventLoopLag.calmInNanos()));
        }
        if (!allowedOrigins.allows(connection.handshakeRequest().header("Origin"))) {
            return reject(connection, CloseCode.ORIGIN_NOT_ALLOWED, null, "origin not in lobbyhub.allowed-origins");
        }
        String lobby = connection.pathParam("lobby");
        if (!LobbyCode.isValid(lobby)) {
            return reject(connection, CloseCode.INVALID_LOBBY, null, "bad lobby code");
        }
        Identity identity;
        try {
            identity = verifier.verify(HandshakeToken.find(connection.handshakeRequest()));
        } catch (InvalidTokenException e) {
            return reject(connection, CloseCode.UNAUTHORIZED, null, "token " + e.getMessage());
        }
        if (!identity.mayJoin(lobby)) {
            return reject(connection, CloseCode.FORBIDDEN, identity.userId(), "lobby not in token");
        }
        WebSocketTransport transport = new WebSocketTransport(connection, Vertx.currentContext(), registry, metrics,
                maxOutboundBytes, maxFrameSize);
        // Before admission: in cluster mode the welcome is queued from another thread while frames
        // sent in reply arrive on this one, before the admission below has completed.
        connection.userData().put(TRANSPORT, transport);
        connection.userData().put(RATE_LIMIT, new InboundRateLimit(messagesPerSecond, burst));
        String query = connection.handshakeRequest().query();
        Resume resume = Resume.fromQuery(HandshakeToken.queryParameter(query, "since"),
                HandshakeToken.queryParameter(query, "epoch"));
        return admitter.admit(identity, lobby, connection.id(), transport, resume).chain(admission -> {
            if (admission instanceof Admission.Rejected rejected) {
                return reject(connection, rejected.code(), identity.userId(), rejected.code().reason());
            }
            Session session = ((Admission.Admitted) admission).session();
            if (guard != null) {
                guard.onViolation(code -> registry.disconnect(session, code));
            }
            if (connection.isClosed()) {
                // Closed while its seat was being claimed (cluster mode): @OnClose may have found no
                // session yet; a session ends once, whoever comes second.
                registry.transportClosed(session, isNormal(connection.closeReason()));
            }
            return DONE;
        });
    }

    @OnTextMessage
    public Uni<Void> onText(String text, WebSocketConnection connection) {
        Session session = session(connection);
        if (session == null || !session.isOpen()) {
            return DONE;
        }
        session.touch();
        ClientMessage message;
        try {
            message = ClientMessageParser.parse(text);
        } catch (InvalidMessageException e) {
            answerInvalid(session, connection, e.code(), e.getMessage(), e.ref());
            return DONE;
        }
        metrics.received(message.type());
        boolean askedFor = message instanceof ClientMessage.HealthPong pong && session.answersPing(pong.timestamp());
        if (!askedFor && !withinRateLimit(session, connection, message.id())) {
            return DONE;
        }
        relay.handle(session, message);
        return DONE;
    }

    @OnBinaryMessage
    public Uni<Void> onBinary(Buffer data, WebSocketConnection connection) {
        Session session = session(connection);
        if (session != null && session.isOpen()) {
            session.touch();
            answerInvalid(session, connection, ErrorCode.BINARY_NOT_SUPPORTED, "send JSON text frames", null);
        }
        return DONE;
    }

    /** A frame that breaks the protocol: counted, then one error to the sender (within the rate limit). */
    private void answerInvalid(Session session, WebSocketConnection connection, ErrorCode code, String message,
            JsonNode ref) {
        metrics.received("invalid");
        if (withinRateLimit(session, connection, ref)) {
            metrics.dropped(DropReason.INVALID);
            session.send(ServerMessages.error(code, message, ref));
        }
    }

    @OnPongMessage
    public Uni<Void> onPong(Buffer data, WebSocketConnection connection) {
        return touched(connection);
    }

    /** A WebSocket ping frame proves the connection alive like any other frame (Vert.x answers it). */
    @OnPingMessage
    public Uni<Void> onPing(Buffer data, WebSocketConnection connection) {
        return touched(connection);
    }

    private Uni<Void> touched(WebSocketConnection connection) {
        Session session = session(connection);
        if (session != null) {
            session.touch();
        }
        return DONE;
    }

    @OnClose
    public Uni<Void> onClose(CloseReason reason, WebSocketConnection connection) {
        Session session = session(connection);
        if (session != null) {
            registry.transportClosed(session, isNormal(reason));
        }
        return DONE;
    }

    /** The connection's session once its welcome is on its way, else null. */
    private static Session session(WebSocketConnection connection) {
        WebSocketTransport transport = connection.userData().get(TRANSPORT);
        return transport == null ? null : transport.session();
    }

    /** A close frame with 1000 from the client: it left; anything else (none, 1001, another code) is a drop (SPEC §10). */
    private static boolean isNormal(CloseReason reason) {
        return reason != null && reason.getCode() == CloseReason.NORMAL.getCode();
    }

    @OnError
    public Uni<Void> onError(Throwable failure, WebSocketConnection connection) {
        Session session = session(connection);
        if (failure instanceof HttpClosedException || failure instanceof IOException) {
            // The peer went away; @OnClose does the clean-up.
            LOG.debugf("connection lost conn=%s: %s", connection.id(), failure.toString());
            return DONE;
        }
        // Frames that break the rules never get here: FrameGuard closes them with their own code.
        CloseCode code = CloseCode.INTERNAL_ERROR;
        LOG.errorf(failure, "unexpected failure conn=%s", connection.id());
        if (session != null) {
            registry.disconnect(session, code);
            return DONE;
        }
        return connection.close(new CloseReason(code.code(), code.reason()));
    }

    /** Applies the inbound rate limit; false when the frame is dropped (or the connection closed for it). */
    private boolean withinRateLimit(Session session, WebSocketConnection connection, JsonNode ref) {
        switch (connection.userData().get(RATE_LIMIT).onMessage()) {
            case ACCEPT:
                return true;
            case DROP_AND_TELL:
                session.send(ServerMessages.error(ErrorCode.RATE_LIMITED,
                        "over " + messagesPerSecond + " messages per second: messages are being dropped", ref));
                metrics.dropped(DropReason.RATE_LIMITED);
                return false;
            case DROP:
                metrics.dropped(DropReason.RATE_LIMITED);
                return false;
            default:
                metrics.dropped(DropReason.RATE_LIMITED);
                registry.disconnect(session, CloseCode.RATE_LIMITED);
                return false;
        }
    }

    private Uni<Void> reject(WebSocketConnection connection, CloseCode code, String userId, String why) {
        return reject(connection, code, userId, why, -1);
    }

    /** Closes with the code's reason word, followed by {@code :<hintMs>} when a hint is given (SPEC §2, §14). */
    private Uni<Void> reject(WebSocketConnection connection, CloseCode code, String userId, String why, long hintMs) {
        metrics.rejected(code);
        String reason = code.reason(hintMs);
        LOG.infof("reject user=%s lobby=%s conn=%s reason=%s retry=%s (%s)", LogText.escape(userId),
                loggable(connection.pathParam("lobby")), connection.id(), reason, code.clientShouldRetry(), why);
        return connection.close(new CloseReason(code.code(), reason));
    }

    /** A lobby code fit for a log line, even when the client sent garbage: cut to length, control characters escaped. */
    private static String loggable(String lobby) {
        if (lobby == null || lobby.length() <= LobbyCode.MAX_LENGTH) {
            return LogText.escape(lobby);
        }
        return LogText.escape(lobby.substring(0, LobbyCode.MAX_LENGTH)) + "…";
    }
}
