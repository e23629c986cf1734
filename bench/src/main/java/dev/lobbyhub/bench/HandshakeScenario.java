package dev.lobbyhub.bench;

import java.time.Duration;

import org.HdrHistogram.Histogram;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "handshake" (S2): how fast the server admits new connections, token verification included (the
 * peers skip it: they read {@code sub} unchecked). A warm-up round of {@code warmup} connections
 * is opened and closed, then {@code connections} connect with {@code in-flight} handshakes pending
 * at a time (lobbies of 10, so every join also sends presence). Measured: handshakes per second
 * (TCP connect to {@code welcome}), the latency of each, and server CPU per handshake.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.HandshakeScenario --port 18080 --pid SERVER_PID \
 *     [--label lobbyhub] [--connections 5000] [--warmup 2000] [--in-flight 64] [--secret S]
 * </pre>
 */
public final class HandshakeScenario {

    public static void main(String[] argv) {
        ScenarioMain.run(argv, HandshakeScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "server");
        int connections = args.integer("connections", 5_000);
        int inFlight = args.integer("in-flight", 64);
        long pid = args.pid();

        LoadClient warmup = new LoadClient(vertx, args.target(), "warm", 10, inFlight);
        Wait.on(warmup.connect(args.integer("warmup", 2_000)), Duration.ofMinutes(5));
        Wait.on(warmup.close(), Duration.ofSeconds(60));
        Wait.pause(Duration.ofSeconds(2));

        LoadClient load = new LoadClient(vertx, args.target(), "hs", 10, inFlight);
        long cpu0 = ProcStat.cpuMicros(pid);
        long t0 = System.nanoTime();
        Wait.on(load.connect(connections), Duration.ofMinutes(5));
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu = pid > 0 ? ProcStat.cpuMicros(pid) - cpu0 : -1;

        Histogram latency = new Histogram(60_000_000L, 3);
        for (LoadClient.Conn c : load.conns()) {
            if (c.welcome != null) {
                latency.recordValue(Math.max(0, (c.welcomedNanos - c.connectingNanos) / 1000));
            }
        }
        long welcomed = load.welcomed();
        double perSecond = welcomed / seconds;
        double cpuPer = cpu < 0 || welcomed == 0 ? -1 : cpu / (double) welcomed;
        System.out.printf("[handshake] %s: %d welcomed, %d failed in %.2f s: %.0f handshakes/s, %s, server CPU %.0f µs each%n",
                label, welcomed, load.failed(), seconds, perSecond, Probe.describe(latency), cpuPer);
        Results.emit("handshake", label, new JsonObject().put("connections", welcomed)
                .put("handshakes_per_s", Math.round(perSecond)).put("cpu_us_per_handshake", Traffic.round(cpuPer, 1))
                .put("p50_ms", Traffic.round(latency.getValueAtPercentile(50) / 1000.0, 2))
                .put("p99_ms", Traffic.round(latency.getValueAtPercentile(99) / 1000.0, 2))
                .put("failed", load.failed()));
        Wait.on(load.close(), Duration.ofSeconds(60));
        return welcomed == connections;
    }
}
