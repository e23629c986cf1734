package dev.lobbyhub.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The meters of {@link MeterNames}, created once, so hot paths only increment. */
@ApplicationScoped
public class LobbyhubMetrics {

    /** Client message types, plus {@code invalid} for frames that could not be read. */
    public static final List<String> MESSAGE_TYPES = List.of("health_pong", "lobby_message", "direct_message", "ping",
            "invalid");

    private final MeterRegistry registry;
    private final Counter accepted;
    private final Counter delivered;
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<LeaveReason, Counter> closed = new EnumMap<>(LeaveReason.class);
    private final Map<String, Counter> received = new ConcurrentHashMap<>();
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
    private final Map<HoldOutcome, Counter> holds = new EnumMap<>(HoldOutcome.class);
    private final Counter recovered;
    private final Counter notRecovered;
    private final Counter gapsRepaired;
    private final Counter gapsLost;
    private final Timer pingRtt;
    private final Timer sweepDuration;

    public LobbyhubMetrics(MeterRegistry registry) {
        this.registry = registry;
        accepted = Counter.builder(MeterNames.CONNECTIONS_ACCEPTED).description("Connections admitted")
                .register(registry);
        delivered = Counter.builder(MeterNames.MESSAGES_DELIVERED).description("Frames handed to members")
                .register(registry);
        for (CloseCode code : CloseCode.values()) {
            if (code.leaveReason() == null || code == CloseCode.SERVER_SHUTDOWN) {
                rejected.computeIfAbsent(code.reason(), reason -> Counter.builder(MeterNames.CONNECTIONS_REJECTED)
                        .description("Connections refused at admission").tag(MeterNames.TAG_REASON, reason)
                        .register(registry));
            }
        }
        for (LeaveReason reason : LeaveReason.values()) {
            closed.put(reason, Counter.builder(MeterNames.CONNECTIONS_CLOSED)
                    .description("Admitted connections that ended").tag(MeterNames.TAG_REASON, reason.wire())
                    .register(registry));
        }
        for (String type : MESSAGE_TYPES) {
            received.put(type, Counter.builder(MeterNames.MESSAGES_RECEIVED).description("Frames received")
                    .tag(MeterNames.TAG_TYPE, type).register(registry));
        }
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason, Counter.builder(MeterNames.MESSAGES_DROPPED).description("Messages not delivered")
                    .tag(MeterNames.TAG_REASON, reason.tag()).register(registry));
        }
        recovered = recovery(registry, "recovered");
        notRecovered = recovery(registry, "not_recovered");
        gapsRepaired = gaps(registry, "repaired");
        gapsLost = gaps(registry, "lost");
        for (HoldOutcome outcome : HoldOutcome.values()) {
            holds.put(outcome, Counter.builder(MeterNames.SEAT_HOLDS).description("Held seats that ended")
                    .tag(MeterNames.TAG_OUTCOME, outcome.tag()).register(registry));
        }
        pingRtt = Timer.builder(MeterNames.PING_RTT).description("Round-trip time of health pings")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        sweepDuration = Timer.builder(MeterNames.SWEEP_DURATION).description("Duration of one health sweep")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    private static Counter recovery(MeterRegistry registry, String result) {
        return Counter.builder(MeterNames.RECOVERY).description("Connections that asked to recover what they missed")
                .tag(MeterNames.TAG_RESULT, result).register(registry);
    }

    private static Counter gaps(MeterRegistry registry, String outcome) {
        return Counter.builder(MeterNames.LOG_GAPS).description("Gaps seen in a lobby's log")
                .tag(MeterNames.TAG_OUTCOME, outcome).register(registry);
    }

    /** Registers the two gauges; read lazily at scrape time. */
    public void gauges(Supplier<Number> connections, Supplier<Number> lobbies) {
        Gauge.builder(MeterNames.CONNECTIONS_ACTIVE, connections).description("Open admitted connections")
                .register(registry);
        Gauge.builder(MeterNames.LOBBIES_ACTIVE, lobbies).description("Lobbies with members").register(registry);
    }

    /** Registers the gauge of the node's {@code max-connections}, the denominator of its capacity. */
    public void maxConnections(int max) {
        Gauge.builder(MeterNames.CONNECTIONS_MAX, () -> max).description("max-connections of this node")
                .register(registry);
    }

    /** Registers the readiness gauge (1 or 0); read at scrape time. */
    public void ready(Supplier<Number> up) {
        Gauge.builder(MeterNames.READY, up).description("1 while readiness is UP, else 0").register(registry);
    }

    /** Registers the event-loop lag gauge, in seconds; read at scrape time. */
    public void eventLoopLag(Supplier<Number> seconds) {
        Gauge.builder(MeterNames.EVENT_LOOP_LAG, seconds).description("How late the event loops ran their last probe")
                .baseUnit("seconds").register(registry);
    }

    /** Registers the meters of cluster mode; the two gauges are read at scrape time. */
    public BackplaneMeters backplane(Supplier<Number> liveNodes, Supplier<Number> up) {
        return new BackplaneMeters(registry, liveNodes, up);
    }

    public void accepted() {
        accepted.increment();
    }

    public void rejected(CloseCode code) {
        Counter counter = rejected.get(code.reason());
        if (counter != null) {
            counter.increment();
        }
    }

    public void closed(LeaveReason reason) {
        closed.get(reason).increment();
    }

    public void received(String type) {
        Counter counter = received.get(type);
        if (counter != null) {
            counter.increment();
        }
    }

    public void delivered(int count) {
        delivered.increment(count);
    }

    public void dropped(DropReason reason) {
        dropped.get(reason).increment();
    }

    /** A connection asked to recover; whether it did. */
    public void recovery(boolean done) {
        (done ? recovered : notRecovered).increment();
    }

    /** How a held seat ended (SPEC §10). */
    public enum HoldOutcome {
        /** Its user came back. */
        RETURNED,
        /** The grace ran out. */
        EXPIRED,
        /** Freed before: the user went to another lobby, or was kicked. */
        FREED;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public void seatHold(HoldOutcome outcome) {
        holds.get(outcome).increment();
    }

    /** A gap in a lobby's log: read back from the log, or lost. */
    public void logGap(boolean repaired) {
        (repaired ? gapsRepaired : gapsLost).increment();
    }

    public void pingRtt(long millis) {
        pingRtt.record(Duration.ofMillis(millis));
    }

    public Timer sweepTimer() {
        return sweepDuration;
    }
}
