package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Prerequisites;
import dev.lobbyhub.testing.RedisServer;

/**
 * The seat store's scenario checks ({@code docs/cluster/tests/test_scripts.py}: claims, releases,
 * leases, reaping, pauses, restores, event order, index invariants) against a real Redis, as
 * part of the build: every check in that file must pass. The script talks to Redis through {@code redis-cli}
 * (7.0 or newer), which {@code embedded-redis} does not bring: without it the test is skipped and listed at the end
 * of the run, unless {@code -Dredis.tests.required=true}.
 */
class LuaScenariosTest {

    private static final Path SCENARIOS = Path.of("docs/cluster/tests/test_scripts.py");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) passed, (\\d+) failed");

    @Test
    void everySeatStoreScenarioPasses() throws IOException, InterruptedException {
        requireTools();
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

    /** The script's tools: python3, redis-cli 7.0 or newer (its {@code --json}) and stdbuf (coreutils). */
    private static void requireTools() throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("python3", "redis-cli", "stdbuf")) {
            if (Prerequisites.onPath(tool).isEmpty()) {
                missing.add("no " + tool + " on the PATH");
            }
        }
        if (missing.isEmpty()) {
            Process cli = new ProcessBuilder("redis-cli", "--version").redirectErrorStream(true).start();
            String version = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            cli.waitFor(30, TimeUnit.SECONDS);
            Matcher major = Pattern.compile("redis-cli (\\d+)\\.").matcher(version);
            if (!major.find() || Integer.parseInt(major.group(1)) < 7) {
                missing.add(version + " has no --json (7.0 or newer has)");
            }
        }
        Prerequisites.require(missing.isEmpty(), "redis.tests.required", "redis-cli", String.join(", ", missing),
                "install: apt-get install redis-tools python3 coreutils (redis-cli 7.0 or newer)");
    }
}
