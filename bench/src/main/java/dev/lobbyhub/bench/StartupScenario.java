package dev.lobbyhub.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "startup" (S6): from the moment the server process was launched ({@code --launched-at-ms}, epoch
 * milliseconds, taken by the script just before it) to the first {@code welcome} on a WebSocket:
 * the port is polled every 5 ms, then a WebSocket connects (again, until welcomed); then the resident set of the idle server holding that one connection.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.StartupScenario --port 18080 --pid SERVER_PID \
 *     --launched-at-ms T [--label lobbyhub] [--timeout-seconds 60] [--secret S]
 * </pre>
 */
public final class StartupScenario {

    public static void main(String[] argv) {
        ScenarioMain.run(argv, StartupScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "server");
        long launchedAt = Long.parseLong(args.string("launched-at-ms", "0"));
        long deadline = System.currentTimeMillis() + args.integer("timeout-seconds", 60) * 1000L;
        int attempt = 0;
        while (System.currentTimeMillis() < deadline && !listening(args.target().port())) {
            Wait.pause(Duration.ofMillis(5));
        }
        while (System.currentTimeMillis() < deadline) {
            LoadClient probe = new LoadClient(vertx, args.target(), "start" + attempt++, 10, 1);
            Wait.on(probe.connect(1), Duration.ofSeconds(30));
            if (probe.welcomed() == 1) {
                long startupMs = System.currentTimeMillis() - launchedAt;
                Wait.pause(Duration.ofSeconds(2)); // let start-up work settle before reading memory
                long rssKb = new ServerWatch(args.target().port(), args.pid()).rssKb();
                System.out.printf("[startup] %s: first welcome %d ms after launch; idle RSS %.1f MiB%n", label, startupMs,
                        rssKb / 1024.0);
                Results.emit("startup", label, new JsonObject().put("startup_ms", startupMs)
                        .put("idle_rss_mb", rssKb < 0 ? null : Traffic.round(rssKb / 1024.0, 1)));
                Wait.on(probe.close(), Duration.ofSeconds(10));
                return true;
            }
            Wait.on(probe.close(), Duration.ofSeconds(10));
            Wait.pause(Duration.ofMillis(10));
        }
        System.out.printf("[startup] %s: no welcome within the timeout%n", label);
        return false;
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 100);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
