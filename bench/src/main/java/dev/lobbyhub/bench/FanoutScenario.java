package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.Arrays;

import io.vertx.core.Vertx;

/**
 * "fanout" (S3) and "direct" (S4): {@code connections} members in lobbies of {@code lobby-size};
 * member 0 of each lobby sends small messages, open loop ({@link Traffic}), one step per rate of the
 * ladder, after a warm-up step at the first rate. {@code --kind lobby}: {@code lobby_message}s, the
 * rate counts deliveries (sends × other members). {@code --kind direct}: {@code direct_message}s to
 * the other members in turn, one delivery each. Server CPU per delivery comes from
 * {@code /proc/PID/stat}. Works against lobbyhub and every peer.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.FanoutScenario --port 18080 --pid SERVER_PID \
 *     [--label lobbyhub] [--kind lobby|direct] [--connections 2000] [--lobby-size 10] \
 *     [--rates 5000,10000,20000,40000] [--step-seconds 10] [--warmup-seconds 10] [--size 100] \
 *     [--drain-seconds 10] [--secret S]
 * </pre>
 * Prints one {@code RESULT} line per step ({@code fanout} or {@code direct}).
 */
public final class FanoutScenario {

    public static void main(String[] argv) {
        ScenarioMain.run(argv, FanoutScenario::run);
    }

    private static boolean run(Args args, Vertx vertx) {
        String label = args.string("label", "server");
        Traffic.Kind kind = Traffic.Kind.valueOf(args.string("kind", "lobby").toUpperCase());
        String scenario = kind == Traffic.Kind.LOBBY ? "fanout" : "direct";
        int[] rates = Arrays.stream(args.string("rates", "5000,10000,20000,40000").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int connections = args.integer("connections", 2_000);
        int lobbySize = args.integer("lobby-size", 10);
        Duration step = Duration.ofSeconds(args.integer("step-seconds", 10));
        Duration drain = Duration.ofSeconds(args.integer("drain-seconds", 10));

        LoadClient load = new LoadClient(vertx, args.target(), "fan", lobbySize, args.integer("in-flight", 256));
        Wait.on(load.connect(connections), Duration.ofMinutes(5));
        Traffic traffic = new Traffic(vertx, kind, load.conns(), lobbySize, args.integer("size", 100), args.pid(), c -> true);
        load.onFrame(traffic::onFrame);
        print(scenario, "%s: %d welcomed, %d failed, %d with compression; %d senders", label, load.welcomed(),
                load.failed(), load.compressed(), traffic.senders());
        if (load.welcomed() < connections) {
            Wait.on(load.close(), Duration.ofSeconds(30));
            return false;
        }
        Wait.pause(Duration.ofSeconds(2)); // the member_joined storm is over

        boolean ok = true;
        Traffic.Step warmup = traffic.run(rates[0], Duration.ofSeconds(args.integer("warmup-seconds", 10)), drain);
        print(scenario, "%s warm-up: %s", label, warmup.describe());
        ok &= warmup.drained();
        for (int rate : rates) {
            Traffic.Step result = traffic.run(rate, step, drain);
            print(scenario, "%s: %s", label, result.describe());
            Results.emit(scenario, label, result.toJson());
            // Saturation at the top of the ladder is a result, not a failure.
        }
        long closed = load.conns().stream().filter(LoadClient.Conn::isClosed).count();
        print(scenario, "%s: %d connections closed by the server during the run; closes by code %s", label, closed,
                load.closesByCode());
        Wait.on(load.close(), Duration.ofSeconds(30));
        return ok;
    }

    private static void print(String scenario, String format, Object... values) {
        System.out.printf("[" + scenario + "] " + format + "%n", values);
    }
}
