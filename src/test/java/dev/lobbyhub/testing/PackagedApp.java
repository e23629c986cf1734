package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) in its own JVM, in the prod
 * profile, as an operator runs it. Output goes to a file the test can read.
 */
public final class PackagedApp implements AutoCloseable {

    private final Process process;
    private final Path output;
    private final int port;

    private PackagedApp(Process process, Path output, int port) {
        this.process = process;
        this.output = output;
        this.port = port;
    }

    /** Starts the jar with these environment variables (plus a free port). Does not wait for readiness. */
    public static PackagedApp start(Map<String, String> environment) throws IOException {
        return start(environment, freePort());
    }

    /** Starts the jar on this port, e.g. the port of an instance that just stopped. */
    public static PackagedApp start(Map<String, String> environment, int port) throws IOException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("package the application first: " + jar.toAbsolutePath());
        }
        Path output = Files.createTempFile("lobbyhub-it", ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        // As the test profile: far above any test's burst, unless a test sets its own (SPEC §14).
        builder.environment().put("LOBBYHUB_LIMITS_HANDSHAKES_PER_SECOND", "1000000");
        builder.environment().put("LOBBYHUB_LIMITS_HANDSHAKE_BURST", "1000000");
        builder.environment().put("LOBBYHUB_LIMITS_MAX_EVENT_LOOP_LAG", "1h");
        builder.environment().putAll(environment);
        return new PackagedApp(builder.start(), output, port);
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    public String output() {
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM, as Kubernetes does. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end and returns its exit code. */
    public int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + limit + ":\n" + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
