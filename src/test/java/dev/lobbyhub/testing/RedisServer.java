package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        boolean installed = Files.isExecutable(Path.of(BINARY));
        if (!installed && Boolean.getBoolean("redis.tests.required")) {
            throw new IllegalStateException("Redis tests need " + BINARY + ": apt-get install redis-server");
        }
        Assumptions.assumeTrue(installed, "no redis-server: apt-get install redis-server to run the Redis tests");
        Process process = new ProcessBuilder(BINARY, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no")
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
