package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.awaitility.Awaitility;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A real Prometheus (Debian's {@code prometheus}, 2.42 in CI) on a free port, scraping lobbyhub nodes' {@code /q/metrics}
 * every second and evaluating rule files every second. Its configuration and its storage live in a temporary
 * directory; {@link #close()} kills the process by its PID and deletes the directory, also after a failed start.
 *
 * <p>Which binary: {@code -Dprometheus.tests.binary=…}, else {@code /usr/bin/prometheus}. Without one the test is
 * skipped with a reason ({@link #requireInstalled()}), or fails with {@code -Dprometheus.tests.required=true} (CI).
 */
public final class PrometheusServer implements AutoCloseable {

    public static final String BINARY = System.getProperty("prometheus.tests.binary", "/usr/bin/prometheus");
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int port;
    private final Path dir;

    private PrometheusServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Nothing when Prometheus is installed; otherwise aborts the test (or fails it with {@code -Dprometheus.tests.required=true}). */
    public static void requireInstalled() {
        Prerequisites.require(Files.isExecutable(Path.of(BINARY)), "prometheus.tests.required", "prometheus",
                "no Prometheus: " + BINARY + " missing", "install: apt-get install prometheus");
    }

    /** The configuration: every target on {@code /q/metrics}, job {@code lobbyhub}, scraped and evaluated every second. */
    static String config(List<URI> targets, List<Path> ruleFiles) {
        String rules = ruleFiles.stream().map(path -> "  - '" + path.toAbsolutePath() + "'\n").collect(Collectors.joining());
        String hosts = targets.stream().map(uri -> "'" + uri.getHost() + ":" + uri.getPort() + "'")
                .collect(Collectors.joining(", "));
        return """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                  evaluation_interval: 1s
                rule_files:
                %sscrape_configs:
                  - job_name: lobbyhub
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: [%s]
                """.formatted(rules, hosts);
    }

    /** Starts Prometheus scraping {@code targets} (the nodes' base URIs) with these rule files, and waits until it is ready. */
    public static PrometheusServer start(List<URI> targets, List<Path> ruleFiles) throws IOException {
        requireInstalled();
        int port = PackagedApp.freePort();
        Path dir = Files.createTempDirectory("lobbyhub-prometheus-");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, config(targets, ruleFiles));
        Process process;
        try {
            process = new ProcessBuilder(BINARY, "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        } catch (IOException | RuntimeException e) {
            delete(dir);
            throw e;
        }
        PrometheusServer prometheus = new PrometheusServer(process, port, dir);
        try {
            Awaitility.await("Prometheus ready on " + port).atMost(STARTUP).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException("prometheus exited: " + prometheus.output());
                        }
                        return prometheus.readyStatus() == 200;
                    });
        } catch (RuntimeException | Error e) {
            String output = prometheus.output();
            prometheus.close();
            throw new AssertionError("Prometheus did not start on " + port + ": " + output, e);
        }
        return prometheus;
    }

    private int readyStatus() {
        try (Socket probe = new Socket("127.0.0.1", port)) {
            // listening; now ask
        } catch (IOException notYet) {
            return -1;
        }
        return get("/-/ready").statusCode();
    }

    private HttpResponse<String> get(String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("Prometheus did not answer " + pathAndQuery + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The answer of an instant query: its HTTP status and body ({@code status} {@code success} or {@code error}). */
    public record Answer(int status, JsonObject body) {
        public boolean ok() {
            return status == 200 && "success".equals(body.getString("status"));
        }

        /** The series of a vector result (empty when none, or when the query failed). */
        public JsonArray result() {
            JsonObject data = body.getJsonObject("data");
            return data == null ? new JsonArray() : data.getJsonArray("result", new JsonArray());
        }
    }

    /** {@code GET /api/v1/query?query=…}, evaluated now. */
    public Answer query(String promql) {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        return new Answer(response.statusCode(), new JsonObject(response.body()));
    }

    /** {@code GET /api/v1/rules}: the rule groups as Prometheus loaded them, each rule with its {@code health}. */
    public JsonArray ruleGroups() {
        HttpResponse<String> response = get("/api/v1/rules");
        return new JsonObject(response.body()).getJsonObject("data").getJsonArray("groups");
    }

    /** {@code GET /api/v1/alerts}: the alerts pending or firing now. */
    public JsonArray alerts() {
        HttpResponse<String> response = get("/api/v1/alerts");
        return new JsonObject(response.body()).getJsonObject("data").getJsonArray("alerts");
    }

    /** What Prometheus wrote to its log. */
    public String output() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException unreadable) {
            return "(no log: " + unreadable + ")";
        }
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills Prometheus (SIGKILL, by its PID), waits for it, and deletes its directory. Safe to call twice. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                System.err.println("prometheus " + process.pid() + " still running after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delete(dir);
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
