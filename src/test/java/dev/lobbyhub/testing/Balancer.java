package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real load balancer in front of nodes, as a Kubernetes Service is: Debian's haproxy on a free
 * port, round robin without stickiness, each node health-checked on {@code /q/health/ready} every
 * 500 ms, WebSockets passed through, and a connection that a gone node refuses tried on another.
 * The same configuration as {@code scripts/local-cluster.sh} writes ({@link #config}). Started and
 * stopped by its own process; {@link #close()} kills it.
 */
public final class Balancer implements AutoCloseable {

    public static final String HAPROXY = System.getProperty("balancer.haproxy", "/usr/sbin/haproxy");

    private final Process process;
    private final int port;
    private final Path dir;

    private Balancer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Nothing when haproxy is installed; otherwise aborts the test (or fails it with {@code -Dbalancer.tests.required=true}). */
    public static void requireInstalled() {
        Prerequisites.require(Files.isExecutable(Path.of(HAPROXY)), "balancer.tests.required", "balancer",
                "no haproxy: " + HAPROXY + " missing", "install: apt-get install haproxy");
    }

    /** Starts haproxy in front of {@code nodes} (their base URIs) and waits until it listens. */
    public static Balancer start(List<URI> nodes) throws IOException {
        requireInstalled();
        int port = PackagedApp.freePort();
        Path dir = Files.createTempDirectory("lobbyhub-balancer-");
        Path config = dir.resolve("haproxy.cfg");
        Files.writeString(config, config(port, nodes));
        Process process = new ProcessBuilder(HAPROXY, "-db", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        Balancer balancer = new Balancer(process, port, dir);
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                    return true;
                }
            });
        } catch (RuntimeException | Error e) {
            balancer.close();
            throw new AssertionError("haproxy did not listen on " + port + ": " + balancer.output(), e);
        }
        return balancer;
    }

    /** The haproxy configuration for a balancer on {@code port} in front of {@code nodes}. */
    static String config(int port, List<URI> nodes) {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < nodes.size(); i++) {
            URI node = nodes.get(i);
            servers.append("  server node").append(i).append(' ').append(node.getHost()).append(':')
                    .append(node.getPort()).append(" check\n");
        }
        return """
                defaults
                  mode http
                  timeout connect 2s
                  timeout client 60s
                  timeout server 60s
                  timeout tunnel 1h
                  retries 3
                  option redispatch
                frontend lobbyhub
                  bind 127.0.0.1:%d
                  default_backend nodes
                backend nodes
                  balance roundrobin
                  option httpchk GET /q/health/ready
                  http-check expect status 200
                  default-server inter 500ms fall 1 rise 2
                %s""".formatted(port, servers);
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** What haproxy printed. */
    public String output() {
        try {
            return Files.readString(dir.resolve("haproxy.log"));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
