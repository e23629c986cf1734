package dev.lobbyhub.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the server shows from outside: its Prometheus metrics, and (given its pid) its resident set
 * and heap, read with {@code /proc}, {@code jstat} and {@code jcmd}. Blocking: call from the main thread.
 */
final class ServerWatch {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI metricsUri;
    private final long pid;

    ServerWatch(int port, long pid) {
        this.metricsUri = URI.create("http://127.0.0.1:" + port + "/q/metrics");
        this.pid = pid;
    }

    /** One scrape: {@code name{labels}} → value, exactly as the Prometheus text names them. */
    Map<String, Double> metrics() {
        HttpRequest request = HttpRequest.newBuilder(metricsUri).header("Accept", "text/plain")
                .timeout(Duration.ofSeconds(10)).build();
        try {
            String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
            Map<String, Double> values = new HashMap<>();
            for (String line : body.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                int space = line.lastIndexOf(' ');
                // Micrometer writes {reason="stale",}: keys are kept in the plain form {reason="stale"}.
                String key = line.substring(0, space).trim().replace(",}", "}");
                values.put(key, Double.parseDouble(line.substring(space + 1)));
            }
            return values;
        } catch (IOException e) {
            throw new IllegalStateException("cannot scrape " + metricsUri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    boolean knowsPid() {
        return pid > 0;
    }

    /** VmRSS in KiB, or -1 without a pid. */
    long rssKb() {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/status", e);
        }
        return -1;
    }

    /** Heap in use now, garbage included (jstat: S0U + S1U + EU + OU), KiB. */
    long heapUsedKb() {
        if (pid <= 0) {
            return -1;
        }
        String[] lines = run("jstat", "-gc", Long.toString(pid)).trim().split("\n");
        List<String> names = List.of(lines[0].trim().split("\\s+"));
        String[] values = lines[1].trim().split("\\s+");
        double used = 0;
        for (String column : List.of("S0U", "S1U", "EU", "OU")) {
            used += Double.parseDouble(values[names.indexOf(column)]);
        }
        return Math.round(used);
    }

    /** Heap still in use after a full collection ({@code jcmd GC.run}), KiB. Pauses the server. */
    long liveHeapKb() {
        if (pid <= 0) {
            return -1;
        }
        run("jcmd", Long.toString(pid), "GC.run");
        return heapUsedKb();
    }

    /** The collector the server runs with, from its flags (the JVM picks Serial GC on one CPU). */
    String collector() {
        if (pid <= 0) {
            return "?";
        }
        String flags = run("jcmd", Long.toString(pid), "VM.flags");
        for (String gc : List.of("UseSerialGC", "UseG1GC", "UseParallelGC", "UseZGC", "UseShenandoahGC")) {
            if (flags.contains("+" + gc)) {
                return gc.substring(3);
            }
        }
        return "?";
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sum of every series whose key starts with {@code name} and contains {@code label} (e.g. area="heap"). */
    static double sum(Map<String, Double> scrape, String name, String label) {
        return scrape.entrySet().stream()
                .filter(e -> e.getKey().startsWith(name + "{") && e.getKey().contains(label))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    /** Largest of the series whose key starts with {@code name}. */
    static double max(Map<String, Double> scrape, String name) {
        return scrape.entrySet().stream().filter(e -> e.getKey().startsWith(name + "{"))
                .mapToDouble(Map.Entry::getValue).max().orElse(0);
    }

    /** Reads a metric, 0 when absent (a counter not yet moved may be missing). */
    static double value(Map<String, Double> scrape, String key) {
        return scrape.getOrDefault(key, 0.0);
    }
}
