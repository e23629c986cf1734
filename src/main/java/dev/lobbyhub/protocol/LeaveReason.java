package dev.lobbyhub.protocol;

import java.util.Locale;

/** Why a member left a lobby, as {@code member_left.reason} and the {@code reason} tag of closed connections. */
public enum LeaveReason {
    /** The client closed the connection with a close frame with 1000. */
    LEFT,
    /** The connection ended otherwise: no close frame, 1001 from a page going away, or another code (SPEC §10). */
    DROPPED,
    /** Evicted after {@code stale-after} of silence. */
    STALE,
    /** Closed through the admin API. */
    KICKED,
    /** The user connected again in another lobby. */
    REPLACED,
    /** The node drained. */
    SHUTDOWN,
    /** Closed for sending over the rate limit. */
    RATE_LIMITED,
    /** Closed for not reading its messages. */
    SLOW_CONSUMER,
    /** The member's node left the cluster without a goodbye. */
    NODE_LOST,
    /** Closed for a frame that broke the protocol (1002), text that is not UTF-8 (1007), an oversize message (1009) or a server fault. */
    ERROR;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    /** Whether a member that goes for this reason becomes away, its seat held, while seats are held (SPEC §10). */
    public boolean holdsSeat() {
        return this == DROPPED || this == STALE || this == SLOW_CONSUMER || this == SHUTDOWN || this == NODE_LOST;
    }
}
