package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.Arrays;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "idle memory" (S1): the server's memory before any connection and after {@code 2,000} and then
 * {@code 10,000} idle connections (lobbies of 10, answering {@code health_ping}); per connection:
 * resident set growth, and for a JVM ({@code --jvm true}) live-heap growth after {@code jcmd GC.run}.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.IdleMemoryScenario --port 18080 --pid SERVER_PID \
 *     [--label lobbyhub] [--jvm true] [--counts 2000,10000] [--settle-seconds 3] [--secret S]
 * </pre>
 * Prints one {@code RESULT} line per connection count.
 */
public final class IdleMemoryScenario {

    public static void main(String[] argv) {
        ScenarioMain.run(argv, IdleMemoryScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "server");
        boolean jvm = Boolean.parseBoolean(args.string("jvm", "false"));
        int[] counts = Arrays.stream(args.string("counts", "2000,10000").split(",")).mapToInt(Integer::parseInt).toArray();
        Duration settle = Duration.ofSeconds(args.integer("settle-seconds", 3));
        ServerWatch server = new ServerWatch(args.integer("port", 18080), args.pid());
        if (!server.knowsPid()) {
            System.out.println("[idle] --pid is required");
            return false;
        }
        LoadClient load = new LoadClient(vertx, args.target(), "idle", 10, args.integer("in-flight", 256));
        long rss0 = server.rssKb();
        long live0 = jvm ? server.liveHeapKb() : -1;
        System.out.printf("[idle] %s: 0 connections: RSS %d KiB, live heap %d KiB%n", label, rss0, live0);
        boolean ok = true;
        for (int count : counts) {
            Wait.on(load.connect(count - load.conns().size()), Duration.ofMinutes(5));
            Wait.pause(settle);
            long rss = server.rssKb();
            long live = jvm ? server.liveHeapKb() : -1;
            long n = load.welcomed();
            double rssPer = (rss - rss0) * 1024.0 / n / 1000;
            double livePer = jvm ? (live - live0) * 1024.0 / n / 1000 : -1;
            System.out.printf("[idle] %s: %d connections (%d failed): RSS %d KiB (+%.1f KB each), live heap %d KiB (+%.1f KB each)%n",
                    label, n, load.failed(), rss, rssPer, live, livePer);
            Results.emit("idle", label, new JsonObject().put("connections", n).put("rss_start_mb", rss0 / 1024)
                    .put("rss_kb_per_conn", Traffic.round(rssPer, 2))
                    .put("live_heap_kb_per_conn", jvm ? Traffic.round(livePer, 2) : null));
            ok &= n == count;
        }
        Wait.on(load.close(), Duration.ofSeconds(60));
        return ok;
    }
}
