package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.RedisServer;

/**
 * The seat store's scenario checks ({@code docs/cluster/tests/test_scripts.py}: claims, releases,
 * leases, reaping, pauses, restores, event order, index invariants) against a real Redis, as
 * part of the build: every check in that file must pass.
 */
class LuaScenariosTest {

    private static final Path SCENARIOS = Path.of("docs/cluster/tests/test_scripts.py");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");

    @Test
    void everySeatStoreScenarioPasses() throws IOException, InterruptedException {
        try (RedisServer redis = RedisServer.start()) {
            // As docs/cluster/test-scripts.sh runs it: from docs/cluster, the port in REDIS_PORT.
            ProcessBuilder builder = new ProcessBuilder("python3", "tests/" + SCENARIOS.getFileName())
                    .directory(SCENARIOS.getParent().getParent().toFile()).redirectErrorStream(true);
            builder.environment().put("REDIS_PORT", Integer.toString(redis.port()));
            Process run = builder.start();
            String output;
            try {
                output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                run.waitFor(120, TimeUnit.SECONDS);
                run.destroyForcibly();
            }
            Matcher summary = SUMMARY.matcher(output);
            assertTrue(summary.find(), "the scenarios ran to their summary:\n" + output);
            assertEquals("0", summary.group(2), "failed scenario checks:\n" + output);
            assertTrue(Integer.parseInt(summary.group(1)) > 100, "all the checks ran:\n" + output);
            assertEquals(0, run.exitValue(), output);
        }
    }
}
