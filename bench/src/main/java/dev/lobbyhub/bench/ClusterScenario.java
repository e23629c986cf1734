package dev.lobbyhub.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "cluster": the lobby fan-out of S3 against two lobbyhub nodes sharing one Redis. Each lobby's members
 * are split over both nodes (the first half of its slots on one, the rest on the other); member 0, the
 * sender, is on node A in even lobbies and on node B in odd ones ({@code --sender alternate}, the
 * default) or always on node A ({@code --sender a}). Every message is published once to Redis and
 * each node delivers it to its own members, so half the deliveries cross from one node to the other.
 * Per step it reads each node's CPU ({@code /proc/PID/stat}) and {@code /q/metrics} (backplane
 * messages published and received), Redis's CPU and {@code INFO commandstats}, and reports CPU per
 * delivery on each node, Redis CPU and commands per lobby message, and the latency of cross-node
 * deliveries apart from same-node ones.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.ClusterScenario --ports 18101,18102 --pids PID_A,PID_B \
 *     --redis-port 18103 --redis-pid REDIS_PID [--label lobbyhub] [--sender alternate|a] \
 *     [--connections 2000] [--lobby-size 10] [--rates 10000,20000,40000] [--step-seconds 10] \
 *     [--warmup-seconds 10] [--size 100] [--drain-seconds 10] [--secret S]
 * </pre>
 * Prints one {@code RESULT} line per step ({@code cluster}).
 */
public final class ClusterScenario {

    private static final String[] NODE_NAMES = { "a", "b" };

    public static void main(String[] argv) {
        ScenarioMain.run(argv, ClusterScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "lobbyhub");
        int[] ports = ints(args.string("ports", "18101,18102"));
        long[] pids = Arrays.stream(args.string("pids", "0,0").split(",")).mapToLong(s -> Long.parseLong(s.trim())).toArray();
        if (ports.length != 2 || pids.length != 2) {
            throw new IllegalArgumentException("--ports and --pids take two values each (node A, node B)");
        }
        RedisStats redis = new RedisStats(args.integer("redis-port", 6379), Long.parseLong(args.string("redis-pid", "0")));
        boolean alternate = !args.string("sender", "alternate").equals("a");
        int[] rates = ints(args.string("rates", "10000,20000,40000"));
        int connections = args.integer("connections", 2_000);
        int lobbySize = args.integer("lobby-size", 10);
        int half = lobbySize / 2;
        Duration step = Duration.ofSeconds(args.integer("step-seconds", 10));
        Duration drain = Duration.ofSeconds(args.integer("drain-seconds", 10));
        ServerWatch[] nodes = { new ServerWatch(ports[0], pids[0]), new ServerWatch(ports[1], pids[1]) };

        for (int n = 0; n < 2; n++) {
            if (!awaitCluster(ports[n], nodes[n], Duration.ofSeconds(60))) {
                print("%s: node %s (port %d) is not ready with 2 live nodes after 60 s", label, NODE_NAMES[n], ports[n]);
                return false;
            }
        }

        // Slots 0 .. half-1 of a lobby on the sender's node, the rest on the other.
        LoadClient load = new LoadClient(vertx, new LoadClient.Target(ports[0], args.integer("per-address", 10_000),
                args.string("secret", "bench-secret-bench-secret-bench-secret")), "clu", lobbySize,
                args.integer("in-flight", 256)).across(ports, i -> {
                    int senderNode = alternate ? (i / lobbySize) % 2 : 0;
                    return i % lobbySize < half ? senderNode : 1 - senderNode;
                });
        Wait.on(load.connect(connections), Duration.ofMinutes(5));
        Traffic traffic = new Traffic(vertx, Traffic.Kind.LOBBY, load.conns(), lobbySize, args.integer("size", 100),
                pids[0], c -> true);
        load.onFrame(traffic::onFrame);
        print("%s: %d welcomed (%d on node a, %d on node b), %d failed; %d senders (%s)", label, load.welcomed(),
                load.conns().stream().filter(c -> c.node == 0 && c.welcome != null).count(),
                load.conns().stream().filter(c -> c.node == 1 && c.welcome != null).count(), load.failed(),
                traffic.senders(), alternate ? "alternating between the nodes by lobby" : "all on node a");
        if (load.welcomed() < connections) {
            Wait.on(load.close(), Duration.ofSeconds(30));
            return false;
        }
        Wait.pause(Duration.ofSeconds(2)); // the member_joined storm is over

        boolean ok = true;
        Measured warmup = measure(traffic, nodes, pids, redis, rates[0], Duration.ofSeconds(args.integer("warmup-seconds", 10)), drain);
        print("%s warm-up: %s", label, warmup.describe());
        ok &= warmup.step.drained();
        for (int rate : rates) {
            Measured m = measure(traffic, nodes, pids, redis, rate, step, drain);
            print("%s: %s", label, m.describe());
            Results.emit("cluster", label, m.toJson());
        }
        long closed = load.conns().stream().filter(LoadClient.Conn::isClosed).count();
        print("%s: %d connections closed by the servers during the run; closes by code %s", label, closed,
                load.closesByCode());
        Wait.on(load.close(), Duration.ofSeconds(30));
        return ok;
    }

    /** One step and what the nodes and Redis did meanwhile. */
    private record Measured(Traffic.Step step, long[] nodeCpuMicros, long redisCpuMicros, Map<String, Long> commands,
            double[] published, double[] received, double[] deliveredByServer) {

        double nodeCpuPerDelivery(int n) {
            long delivered = step.deliveredByNode()[n];
            return nodeCpuMicros[n] < 0 || delivered == 0 ? -1 : nodeCpuMicros[n] / (double) delivered;
        }

        double clusterCpuPerDelivery() {
            return nodeCpuMicros[0] < 0 || nodeCpuMicros[1] < 0 || step.delivered() == 0 ? -1
                    : (nodeCpuMicros[0] + nodeCpuMicros[1]) / (double) step.delivered();
        }

        double cpuPercent(long micros) {
            return micros < 0 ? -1 : micros / step.elapsedSeconds() / 1e4;
        }

        double perMessage(double value) {
            return step.sent() == 0 ? -1 : value / step.sent();
        }

        long commandsTotal() {
            return commands.values().stream().mapToLong(Long::longValue).sum();
        }

        JsonObject toJson() {
            JsonObject j = step.toJson();
            boolean any = step.delivered() > 0;
            j.put("sent", step.sent())
                    .put("cross_p50_ms", p(step.crossNodeLatency(), 50)).put("cross_p99_ms", p(step.crossNodeLatency(), 99))
                    .put("cross_p999_ms", p(step.crossNodeLatency(), 99.9))
                    .put("same_p50_ms", p(step.sameNodeLatency(), 50)).put("same_p99_ms", p(step.sameNodeLatency(), 99))
                    .put("cpu_us_per_delivery", any ? Traffic.round(clusterCpuPerDelivery(), 2) : null)
                    .put("server_cpu_pct", Traffic.round(cpuPercent(nodeCpuMicros[0] + nodeCpuMicros[1]), 1));
            for (int n = 0; n < 2; n++) {
                String node = "node_" + NODE_NAMES[n];
                j.put(node + "_delivered", step.deliveredByNode()[n])
                        .put(node + "_cpu_us_per_delivery", any ? Traffic.round(nodeCpuPerDelivery(n), 2) : null)
                        .put(node + "_cpu_pct", Traffic.round(cpuPercent(nodeCpuMicros[n]), 1))
                        .put(node + "_published", Math.round(published[n])).put(node + "_received", Math.round(received[n]))
                        .put(node + "_delivered_metric", Math.round(deliveredByServer[n]));
            }
            j.put("redis_cpu_us_per_message", redisCpuMicros < 0 ? null : Traffic.round(perMessage(redisCpuMicros), 2))
                    .put("redis_cpu_pct", Traffic.round(cpuPercent(redisCpuMicros), 1))
                    .put("redis_commands_per_message", Traffic.round(perMessage(commandsTotal()), 3))
                    .put("redis_publish_per_message", Traffic.round(perMessage(commands.getOrDefault("publish", 0L)), 3))
                    .put("published_per_message", Traffic.round(perMessage(published[0] + published[1]), 3))
                    .put("received_per_message", Traffic.round(perMessage(received[0] + received[1]), 3))
                    .put("redis_commands", new JsonObject(Map.copyOf(commands)));
            return j;
        }

        String describe() {
            return String.format("%s; cross-node p50 %.2f p99 %.2f p99.9 %.2f ms, same-node p99 %.2f ms; node a %.1f µs/delivery"
                            + " (%d delivered, %.0f %% of a core), node b %.1f µs/delivery (%d delivered, %.0f %%);"
                            + " Redis %.2f µs/message (%.0f %% of a core), %.3f commands/message %s; backplane published %.0f + %.0f,"
                            + " received %.0f + %.0f for %d sent",
                    step.describe(), p(step.crossNodeLatency(), 50), p(step.crossNodeLatency(), 99),
                    p(step.crossNodeLatency(), 99.9), p(step.sameNodeLatency(), 99), nodeCpuPerDelivery(0),
                    step.deliveredByNode()[0], cpuPercent(nodeCpuMicros[0]), nodeCpuPerDelivery(1),
                    step.deliveredByNode()[1], cpuPercent(nodeCpuMicros[1]), perMessage(redisCpuMicros),
                    cpuPercent(redisCpuMicros), perMessage(commandsTotal()), commands, published[0], published[1],
                    received[0], received[1], step.sent());
        }

        private static double p(org.HdrHistogram.Histogram h, double percentile) {
            return Traffic.round(Traffic.Step.p(h, percentile), 2);
        }
    }

    private static Measured measure(Traffic traffic, ServerWatch[] nodes, long[] pids, RedisStats redis, int rate,
                                    Duration length, Duration drain) {
        // Scrapes and INFO outside the CPU window: they cost the servers a little CPU of their own.
        Map<String, Double> m0 = nodes[0].metrics();
        Map<String, Double> m1 = nodes[1].metrics();
        Map<String, Long> commands0 = redis.commandCalls();
        long[] cpu0 = { ProcStat.cpuMicros(pids[0]), ProcStat.cpuMicros(pids[1]) };
        long redisCpu0 = redis.cpuMicros();
        Traffic.Step step = traffic.run(rate, length, drain);
        long[] cpu = { ProcStat.cpuMicros(pids[0]) - cpu0[0], ProcStat.cpuMicros(pids[1]) - cpu0[1] };
        long redisCpu = redis.cpuMicros();
        Map<String, Long> commands = RedisStats.delta(commands0, redis.commandCalls());
        Map<String, Double> n0 = nodes[0].metrics();
        Map<String, Double> n1 = nodes[1].metrics();
        for (int n = 0; n < 2; n++) {
            if (pids[n] <= 0) {
                cpu[n] = -1;
            }
        }
        return new Measured(step, cpu, redisCpu0 < 0 ? -1 : redisCpu - redisCpu0, commands,
                new double[] { backplane(n0, "published") - backplane(m0, "published"),
                        backplane(n1, "published") - backplane(m1, "published") },
                new double[] { backplane(n0, "received") - backplane(m0, "received"),
                        backplane(n1, "received") - backplane(m1, "received") },
                new double[] { delivered(n0) - delivered(m0), delivered(n1) - delivered(m1) });
    }

    private static double backplane(Map<String, Double> scrape, String direction) {
        return ServerWatch.sum(scrape, "lobbyhub_backplane_messages_total", "direction=\"" + direction + "\"");
    }

    private static double delivered(Map<String, Double> scrape) {
        return scrape.getOrDefault("lobbyhub_messages_delivered_total", 0.0)
                + ServerWatch.sum(scrape, "lobbyhub_messages_delivered_total", "");
    }

    /** Waits until the node answers ready and sees both nodes live. */
    private static boolean awaitCluster(int port, ServerWatch node, Duration limit) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
        return Wait.until(() -> {
            try {
                int status = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                return status == 200 && ServerWatch.value(node.metrics(), "lobbyhub_cluster_nodes") >= 2;
            } catch (Exception e) {
                return false;
            }
        }, limit, Duration.ofMillis(500));
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    private static void print(String format, Object... values) {
        System.out.printf("[cluster] " + format + "%n", values);
    }
}
