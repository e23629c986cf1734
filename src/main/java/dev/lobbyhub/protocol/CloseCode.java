package dev.lobbyhub.protocol;

/**
 * Every way lobbyhub closes a connection: the WebSocket close code, the reason word a browser reads
 * in {@code CloseEvent.reason}, what the lobby is told in {@code member_left} (null when the
 * connection never joined), and what a client should do next (SPEC §2, "client should").
 * <p>
 * This enum is the one source of that advice: the browser client's {@code CLOSE_ADVICE} table must say the
 * same for every constant, which {@code ClientLibraryTest} checks in a browser.
 */
public enum CloseCode {
    /** Orderly close by either side. */
    NORMAL(1000, "normal", LeaveReason.LEFT, Advice.NONE),
    /** A frame that breaks RFC 6455: reserved bits without an extension, a bad opcode or fragmentation. */
    PROTOCOL_ERROR(1002, "protocol_error", LeaveReason.ERROR, Advice.NONE),
    /** A text message that is not valid UTF-8. */
    INVALID_PAYLOAD(1007, "invalid_payload", LeaveReason.ERROR, Advice.NONE),
    /** An inbound message over {@code max-message-bytes}, in one frame or many. */
    MESSAGE_TOO_BIG(1009, "message_too_big", LeaveReason.ERROR, Advice.NONE),
    /** An unexpected server fault; the details stay in the server log. */
    INTERNAL_ERROR(1011, "internal_error", LeaveReason.ERROR, Advice.BACKOFF),
    /** The node is draining for a restart; reconnect after {@code reconnect_after_ms}. */
    SERVER_SHUTDOWN(1012, "server_shutdown", LeaveReason.SHUTDOWN, Advice.HINT),
    /** Cluster mode with Redis unreachable: new connections are refused. */
    BACKPLANE_UNAVAILABLE(1013, "backplane_unavailable", null, Advice.BACKOFF),
    /** Over the node's handshake rate (SPEC §14); the reason carries when to come back ({@code server_busy:<ms>}). */
    SERVER_BUSY(1013, "server_busy", null, Advice.BACKOFF),
    /** The lobby code breaks the naming rule. */
    INVALID_LOBBY(4000, "invalid_lobby", null, Advice.NONE),
    /** Token missing, malformed, badly signed, expired or from the wrong issuer. */
    UNAUTHORIZED(4001, "unauthorized", null, Advice.NEW_TOKEN),
    /** The node is at {@code max-connections}. */
    SERVER_FULL(4002, "server_full", null, Advice.BACKOFF),
    /** The lobby is at {@code max-per-lobby}. */
    LOBBY_FULL(4002, "lobby_full", null, Advice.NONE),
    /** The token's {@code lobbies} claim excludes this lobby. */
    FORBIDDEN(4003, "forbidden", null, Advice.NONE),
    /** The handshake's {@code Origin} is not in {@code allowed-origins}. */
    ORIGIN_NOT_ALLOWED(4003, "origin_not_allowed", null, Advice.NONE),
    /** The lobby's owner locked it: no new member gets in (SPEC §12). */
    LOBBY_LOCKED(4003, "lobby_locked", null, Advice.NONE),
    /** Nothing was received for {@code stale-after}. */
    STALE(4004, "stale", LeaveReason.STALE, Advice.BACKOFF),
    /** The same user connected again; this older connection gives way. */
    REPLACED(4005, "replaced", LeaveReason.REPLACED, Advice.NONE),
    /** Closed through the admin API. */
    KICKED(4006, "kicked", LeaveReason.KICKED, Advice.NONE),
    /** The client kept sending over the rate limit. */
    RATE_LIMITED(4008, "rate_limited", LeaveReason.RATE_LIMITED, Advice.PAUSE),
    /** The client did not read fast enough: its outbound backlog passed {@code max-outbound-bytes}. */
    SLOW_CONSUMER(4009, "slow_consumer", LeaveReason.SLOW_CONSUMER, Advice.BACKOFF),
    /** {@code on-duplicate=reject} and the user already has a connection. */
    DUPLICATE_SESSION(4011, "duplicate_session", null, Advice.NONE);

    /** The longest retry hint a close reason carries (SPEC §14). */
    public static final long MAX_HINT_MS = 30_000;

    private final int code;
    private final String reason;
    private final LeaveReason leaveReason;
    private final Advice advice;

    CloseCode(int code, String reason, LeaveReason leaveReason, Advice advice) {
        this.code = code;
        this.reason = reason;
        this.leaveReason = leaveReason;
        this.advice = advice;
    }

    /** What a client should do after this close. */
    public enum Advice {
        /** Stay closed: retrying cannot help (or the close was wanted). */
        NONE(null),
        /** Reconnect after an exponential backoff with jitter. */
        BACKOFF("backoff"),
        /** Reconnect after the {@code reconnect_after_ms} of the {@code server_shutdown} frame. */
        HINT("hint"),
        /** Pause, then reconnect with backoff. */
        PAUSE("pause"),
        /** Get a new token, then reconnect with backoff. */
        NEW_TOKEN("new_token");

        private final String wait;

        Advice(String wait) {
            this.wait = wait;
        }

        /** The browser client's word for how to wait before reconnecting; null when it should not. */
        public String clientWait() {
            return wait;
        }
    }

    public int code() {
        return code;
    }

    /** The exact reason word of the close frame. */
    public String reason() {
        return reason;
    }

    /**
     * The close frame's reason: the word, followed by {@code :<hintMs>} when the server says when to come
     * back (SPEC §14: only 1012, 1013 and {@code server_full} carry one); {@code hintMs} below 0: none.
     */
    public String reason(long hintMs) {
        if (hintMs < 0) {
            return reason;
        }
        if (code != 1012 && code != 1013 && this != SERVER_FULL) {
            throw new IllegalArgumentException(reason + " carries no retry hint");
        }
        return reason + ":" + Math.min(hintMs, MAX_HINT_MS);
    }

    /** What {@code member_left} says when an admitted connection is closed this way. */
    public LeaveReason leaveReason() {
        return leaveReason;
    }

    public Advice advice() {
        return advice;
    }

    /** Whether a client should reconnect on its own (after a 4001 with a new token). */
    public boolean clientShouldRetry() {
        return advice != Advice.NONE;
    }
}
