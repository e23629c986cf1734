package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port, in memory only, owned by
 * the test that started it: stopped by its PID on {@link #close()}, also when the test failed.
 * Without the binary the test is skipped, unless {@code -Dredis.tests.required=true} (CI).
 */
public final class RedisServer implements AutoCloseable {

    private static final String BINARY = "/usr/bin/redis-server";

    private final Process process;
    private final int port;

    private RedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static RedisServer start() throws IOException {
        return start(PackagedApp.freePort());
    }

    /** Starts an empty server on this port, e.g. the port of one that was just killed. */
    public static RedisServer start(int port) throws IOException {
        return start(port, List.of());
    }

    /** Starts an empty server that wants this password (AUTH, or the user info of a redis:// URL). */
    public static RedisServer withPassword(String password) throws IOException {
        return start(PackagedApp.freePort(), List.of("--requirepass", password));
    }

    /**
     * Starts an empty server that speaks TLS only, on a free port, with this certificate and key; clients need no
     * certificate of their own. {@link #port()} is the TLS port.
     */
    public static RedisServer withTls(Path certificate, Path key, Path caCertificate) throws IOException {
        return start(PackagedApp.freePort(), List.of("--port", "0", "--tls-auth-clients", "no",
                "--tls-cert-file", certificate.toString(), "--tls-key-file", key.toString(),
                "--tls-ca-cert-file", caCertificate.toString()), true);
    }

    /** Starts an empty server on this port with these arguments added (a later {@code --port} wins). */
    public static RedisServer start(int port, List<String> arguments) throws IOException {
        return start(port, arguments, false);
    }

    private static RedisServer start(int port, List<String> arguments, boolean tls) throws IOException {
        boolean installed = Files.isExecutable(Path.of(BINARY));
        if (!installed && Boolean.getBoolean("redis.tests.required")) {
            throw new IllegalStateException("Redis tests need " + BINARY + ": apt-get install redis-server");
        }
        Assumptions.assumeTrue(installed, "no redis-server: apt-get install redis-server to run the Redis tests");
        List<String> command = new ArrayList<>(List.of(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no"));
        if (tls) {
            command.addAll(List.of("--tls-port", Integer.toString(port)));
        }
        command.addAll(arguments);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        RedisServer server = new RedisServer(process, port);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(server::accepts);
        } catch (RuntimeException notUp) {
            server.close();
            throw notUp;
        }
        return server;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the server (SIGKILL) and waits for it to be gone: every key is lost, as in a crash without persistence. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("redis-server " + process.pid() + " still running after SIGKILL");
        }
    }

    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Freezes the server (SIGSTOP): it keeps its connections and answers nothing, like a stalled Redis. */
    public void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    public void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }

    private boolean accepts() {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            thaw();
        } catch (IOException | InterruptedException ignored) {
            // killed below either way
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
