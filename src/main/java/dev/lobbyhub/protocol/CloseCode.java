package dev.lobbyhub.protocol;

/**
 * Every way lobbyhub closes a connection: the WebSocket close code, the reason word a browser reads
 * in {@code CloseEvent.reason}, what the lobby is told in {@code member_left} (null when the
 * connection never joined), and whether a client should reconnect on its own.
 */
public enum CloseCode {
    /** Orderly close by either side. */
    NORMAL(1000, "normal", LeaveReason.LEFT, false),
    /** A frame that breaks RFC 6455: reserved bits without an extension, a bad opcode or fragmentation. */
    PROTOCOL_ERROR(1002, "protocol_error", LeaveReason.ERROR, false),
    /** A text message that is not valid UTF-8. */
    INVALID_PAYLOAD(1007, "invalid_payload", LeaveReason.ERROR, false),
    /** An inbound message over {@code max-message-bytes}, in one frame or many. */
    MESSAGE_TOO_BIG(1009, "message_too_big", LeaveReason.ERROR, false),
    /** An unexpected server fault; the details stay in the server log. */
    INTERNAL_ERROR(1011, "internal_error", LeaveReason.ERROR, true),
    /** The node is draining for a restart; reconnect after {@code reconnect_after_ms}. */
    SERVER_SHUTDOWN(1012, "server_shutdown", LeaveReason.SHUTDOWN, true),
    /** Cluster mode with Redis unreachable: new connections are refused. */
    BACKPLANE_UNAVAILABLE(1013, "backplane_unavailable", null, true),
    /** The lobby code breaks the naming rule. */
    INVALID_LOBBY(4000, "invalid_lobby", null, false),
    /** Token missing, malformed, badly signed, expired or from the wrong issuer. */
    UNAUTHORIZED(4001, "unauthorized", null, false),
    /** The node is at {@code max-connections}. */
    SERVER_FULL(4002, "server_full", null, true),
    /** The lobby is at {@code max-per-lobby}. */
    LOBBY_FULL(4002, "lobby_full", null, false),
    /** The token's {@code lobbies} claim excludes this lobby. */
    FORBIDDEN(4003, "forbidden", null, false),
    /** The handshake's {@code Origin} is not in {@code allowed-origins}. */
    ORIGIN_NOT_ALLOWED(4003, "origin_not_allowed", null, false),
    /** Nothing was received for {@code stale-after}. */
    STALE(4004, "stale", LeaveReason.STALE, true),
    /** The same user connected again; this older connection gives way. */
    REPLACED(4005, "replaced", LeaveReason.REPLACED, false),
    /** Closed through the admin API. */
    KICKED(4006, "kicked", LeaveReason.KICKED, false),
    /** The client kept sending over the rate limit. */
    RATE_LIMITED(4008, "rate_limited", LeaveReason.RATE_LIMITED, true),
    /** The client did not read fast enough: its outbound backlog passed {@code max-outbound-bytes}. */
    SLOW_CONSUMER(4009, "slow_consumer", LeaveReason.SLOW_CONSUMER, true),
    /** {@code on-duplicate=reject} and the user already has a connection. */
    DUPLICATE_SESSION(4011, "duplicate_session", null, false);

    private final int code;
    private final String reason;
    private final LeaveReason leaveReason;
    private final boolean clientShouldRetry;

    CloseCode(int code, String reason, LeaveReason leaveReason, boolean clientShouldRetry) {
        this.code = code;
        this.reason = reason;
        this.leaveReason = leaveReason;
        this.clientShouldRetry = clientShouldRetry;
    }

    public int code() {
        return code;
    }

    /** The exact reason word of the close frame. */
    public String reason() {
        return reason;
    }

    /** What {@code member_left} says when an admitted connection is closed this way. */
    public LeaveReason leaveReason() {
        return leaveReason;
    }

    public boolean clientShouldRetry() {
        return clientShouldRetry;
    }
}
