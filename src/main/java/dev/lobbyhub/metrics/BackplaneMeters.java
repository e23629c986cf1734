package dev.lobbyhub.metrics;

import java.time.Duration;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** The meters of cluster mode (SPEC §9), registered only when it is on. */
public final class BackplaneMeters {

    private final Counter published;
    private final Counter received;
    private final Timer latency;
    private final Counter overLimit;

    BackplaneMeters(MeterRegistry registry, Supplier<Number> liveNodes, Supplier<Number> up) {
        Gauge.builder(MeterNames.CLUSTER_NODES, liveNodes).description("Nodes whose lease is live").register(registry);
        Gauge.builder(MeterNames.BACKPLANE_UP, up).description("1 while this node reaches Redis").register(registry);
        latency = Timer.builder(MeterNames.BACKPLANE_LATENCY).description("Round trip of each admission to Redis")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        published = Counter.builder(MeterNames.BACKPLANE_MESSAGES).description("Envelopes sent to or received from other nodes")
                .tag(MeterNames.TAG_DIRECTION, "published").register(registry);
        received = Counter.builder(MeterNames.BACKPLANE_MESSAGES).description("Envelopes sent to or received from other nodes")
                .tag(MeterNames.TAG_DIRECTION, "received").register(registry);
        overLimit = Counter.builder(MeterNames.CLUSTER_OVER_LIMIT)
                .description("Lobbies found over max-per-lobby when members were put back after Redis lost its data")
                .register(registry);
    }

    public void overLimit() {
        overLimit.increment();
    }

    public void published() {
        published.increment();
    }

    public void received() {
        received.increment();
    }

    public void admissionRoundTrip(long nanos) {
        latency.record(Duration.ofNanos(nanos));
    }
}
