package dev.lobbyhub.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lobbyhub.testing.PackagedApp;
import io.vertx.core.json.JsonObject;

/**
 * A few seconds of the benchmark suite ({@code bench/}, built before the integration tests) against
 * the packaged service, then its report: not a measurement, only proof that the suite still runs.
 */
class BenchSmokeIT {

    private static final Path BENCH_JAR = Path.of("bench", "target", "lobbyhub-bench.jar");
    private static final String SECRET = "bench-secret-bench-secret-bench-secret";

    @TempDir
    Path work;

    @Test
    void scenariosRunAndTheReportIsWritten() throws Exception {
        assertTrue(Files.exists(BENCH_JAR), "the bench is built before the integration tests: " + BENCH_JAR);
        Map<String, String> env = Map.of("LOBBYHUB_AUTH_JWT_SECRET", SECRET, "LOBBYHUB_LIMITS_MESSAGES_PER_SECOND", "10000",
                "LOBBYHUB_LIMITS_BURST", "10000", "QUARKUS_SHUTDOWN_DELAY", "0s");
        List<String> results = new ArrayList<>();
        try (PackagedApp app = PackagedApp.start(env)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> ready(app.base().resolve("q/health/ready")));
            String[] common = { "--port", Integer.toString(app.port()), "--pid", Long.toString(app.pid()), "--label",
                    "lobbyhub", "--secret", SECRET };
            String[] steps = { "--connections", "40", "--rates", "300", "--step-seconds", "1", "--warmup-seconds", "1",
                    "--drain-seconds", "5" };
            results.addAll(run("FanoutScenario", common, steps, "--kind", "lobby"));
            results.addAll(run("FanoutScenario", common, steps, "--kind", "direct"));
            results.addAll(run("HandshakeScenario", common, "--connections", "100", "--warmup", "20"));
            results.addAll(run("StormScenario", common, "--connections", "60", "--live", "20", "--rate", "200",
                    "--warmup-seconds", "1", "--baseline-seconds", "1", "--storm-seconds", "3", "--give-up-seconds", "30"));
        }
        assertEquals(4, results.size(), "one result per scenario step: " + results);
        for (String line : results) {
            JsonObject result = new JsonObject(line);
            if (result.containsKey("delivered_ratio")) {
                assertEquals(1.0, result.getDouble("delivered_ratio"), result.encode());
            }
        }

        Path jsonl = Files.write(work.resolve("results.jsonl"), results, StandardCharsets.UTF_8);
        Path report = work.resolve("benchmarks.md");
        Run reporting = java("dev.lobbyhub.bench.report.Report", jsonl.toString(), report.toString(),
                work.resolve("benchmarks").toString());
        String output = reporting.finish(Duration.ofSeconds(60));
        assertEquals(0, reporting.process().exitValue(), output);
        String markdown = Files.readString(report, StandardCharsets.UTF_8);
        assertTrue(markdown.contains("## S3") && markdown.contains("## S4") && markdown.contains("## S2")
                && markdown.contains("## Reconnect storm"), markdown);
        assertTrue(markdown.contains("`bench/targets.properties`"), "the targets come from the jar's copy: " + markdown);
        assertTrue(Files.exists(work.resolve("benchmarks").resolve("fanout-p99.svg")), "the fan-out chart");
        assertTrue(Files.exists(work.resolve("benchmarks").resolve("storm-back.svg")), "the storm chart");
    }

    /** Runs one scenario main to completion and returns the JSON of its {@code RESULT} lines. */
    private List<String> run(String scenario, String[] common, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(common));
        args.addAll(List.of(more));
        return run(scenario, args);
    }

    private List<String> run(String scenario, String[] common, String[] steps, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(common));
        args.addAll(List.of(steps));
        args.addAll(List.of(more));
        return run(scenario, args);
    }

    private List<String> run(String scenario, List<String> args) throws Exception {
        Run run = java("dev.lobbyhub.bench." + scenario, args.toArray(String[]::new));
        String output = run.finish(Duration.ofSeconds(120));
        assertEquals(0, run.process().exitValue(), scenario + " failed:\n" + output);
        return output.lines().filter(l -> l.startsWith("RESULT ")).map(l -> l.substring("RESULT ".length())).toList();
    }

    /** A bench JVM and the file its output goes to. */
    private record Run(Process process, Path log) {

        String finish(Duration limit) throws Exception {
            boolean done = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                process.destroyForcibly();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (!done) {
                throw new AssertionError("still running after " + limit + ":\n" + output);
            }
            return output;
        }
    }

    private Run java(String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", BENCH_JAR.toString(), mainClass));
        command.addAll(List.of(args));
        Path log = Files.createTempFile(work, "bench", ".log");
        return new Run(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(), log);
    }

    private static boolean ready(URI uri) throws IOException, InterruptedException {
        HttpResponse<Void> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.discarding());
        return response.statusCode() == 200;
    }
}
