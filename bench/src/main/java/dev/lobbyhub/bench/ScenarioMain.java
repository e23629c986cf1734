package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.function.BiPredicate;

import io.vertx.core.Vertx;

/** What every scenario's {@code main} shares: its options, a Vert.x closed at the end, exit 0 when its checks pass. */
final class ScenarioMain {

    private ScenarioMain() {
    }

    static void run(String[] argv, BiPredicate<Args, Vertx> scenario) {
        Args args = new Args(argv);
        Vertx vertx = Vertx.vertx();
        boolean ok;
        try {
            ok = scenario.test(args, vertx);
        } finally {
            Wait.on(vertx.close(), Duration.ofSeconds(30));
        }
        System.exit(ok ? 0 : 1);
    }
}
