package dev.lobbyhub.metrics;

/**
 * Every meter lobbyhub publishes, in Micrometer's dotted form; Prometheus shows them with
 * underscores and unit suffixes ({@code lobbyhub.connections.accepted} is
 * {@code lobbyhub_connections_accepted_total}). Tags are bounded enums, never a lobby or a user.
 */
public final class MeterNames {

    /** Gauge: admitted connections open on this node. */
    public static final String CONNECTIONS_ACTIVE = "lobbyhub.connections.active";
    /** Gauge: this node's {@code max-connections}, so capacity is {@code connections.active / connections.max}. */
    public static final String CONNECTIONS_MAX = "lobbyhub.connections.max";
    /** Gauge: lobbies with at least one member on this node. */
    public static final String LOBBIES_ACTIVE = "lobbyhub.lobbies.active";
    /** Counter: connections admitted. */
    public static final String CONNECTIONS_ACCEPTED = "lobbyhub.connections.accepted";
    /** Counter, tag {@code reason} (a close reason word): connections refused at admission. */
    public static final String CONNECTIONS_REJECTED = "lobbyhub.connections.rejected";
    /** Counter, tag {@code reason} (a {@code member_left} reason): admitted connections that ended. */
    public static final String CONNECTIONS_CLOSED = "lobbyhub.connections.closed";
    /** Counter, tag {@code type} (a client message type, or {@code invalid}): frames received. */
    public static final String MESSAGES_RECEIVED = "lobbyhub.messages.received";
    /** Counter: frames handed to a member's connection by relay, fan-out or the admin API. */
    public static final String MESSAGES_DELIVERED = "lobbyhub.messages.delivered";
    /** Counter, tag {@code reason}: messages not delivered, see {@link DropReason}. */
    public static final String MESSAGES_DROPPED = "lobbyhub.messages.dropped";
    /** Timer: round-trip time of health pings. */
    public static final String PING_RTT = "lobbyhub.ping.rtt";
    /** Gauge, seconds: the largest lag the event loops measured last (SPEC §14). */
    public static final String EVENT_LOOP_LAG = "lobbyhub.event.loop.lag";
    /** Gauge: 1 while this node's readiness is UP, else 0 (SPEC §8): a flapping node shows in its changes. */
    public static final String READY = "lobbyhub.ready";
    /** Timer: duration of one health sweep over all connections. */
    public static final String SWEEP_DURATION = "lobbyhub.sweep.duration";

    /** Counter, tag {@code result} ({@code recovered}, {@code not_recovered}): connections that asked to recover (SPEC §11). */
    public static final String RECOVERY = "lobbyhub.recovery";
    /** Counter, tag {@code outcome} ({@code repaired}, {@code lost}): gaps seen in a lobby's log (SPEC §11). */
    public static final String LOG_GAPS = "lobbyhub.log.gaps";
    /** Counter, tag {@code outcome} ({@code returned}, {@code expired}, {@code freed}): how held seats ended (SPEC §10). */
    public static final String SEAT_HOLDS = "lobbyhub.seat.holds";

    /** Gauge (cluster mode): nodes whose lease is live. */
    public static final String CLUSTER_NODES = "lobbyhub.cluster.nodes";
    /** Gauge (cluster mode): 1 while this node reaches Redis, else 0. */
    public static final String BACKPLANE_UP = "lobbyhub.backplane.up";
    /** Timer (cluster mode): round trip of each admission to Redis. */
    public static final String BACKPLANE_LATENCY = "lobbyhub.backplane.latency";
    /** Counter (cluster mode), tag {@code direction} ({@code published}, {@code received}): envelopes between nodes. */
    public static final String BACKPLANE_MESSAGES = "lobbyhub.backplane.messages";

    /** Counter (cluster mode): lobbies over {@code max-per-lobby} after members were put back into a Redis that lost its data. */
    public static final String CLUSTER_OVER_LIMIT = "lobbyhub.cluster.over.limit";

    public static final String TAG_REASON = "reason";
    public static final String TAG_DIRECTION = "direction";
    public static final String TAG_TYPE = "type";
    public static final String TAG_RESULT = "result";
    public static final String TAG_OUTCOME = "outcome";

    private MeterNames() {
    }
}
