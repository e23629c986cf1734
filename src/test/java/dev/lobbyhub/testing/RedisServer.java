package dev.lobbyhub.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port, in memory only, owned by
 * the test that started it: stopped by its PID on {@link #close()}, also when the test failed.
 * Without the binary the test is skipped, unless {@code -Dredis.tests.required=true} (CI).
 *
 * <p>A test can also talk to it directly ({@link #command(String...)}, a small RESP2 client on a
 * fresh socket per call, bounded by {@link #COMMAND_TIMEOUT}): kill clients, count keys, read a hash.
 */
public final class RedisServer implements AutoCloseable {

    private static final String BINARY = "/usr/bin/redis-server";
    /** Bound of one {@link #command(String...)}: connect plus answer. A frozen server fails it. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

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

    /** Whether the process still runs (it may be frozen). */
    public boolean isAlive() {
        return process.isAlive();
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

    /**
     * Runs one command on its own connection and returns the reply: a {@link String} (simple or bulk
     * string), a {@link Long}, a {@link List} of replies, or {@code null} (a null bulk or array). An
     * error reply throws {@link RedisError}; no answer within {@link #COMMAND_TIMEOUT} throws
     * {@link UncheckedIOException}.
     */
    public Object command(String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) COMMAND_TIMEOUT.toMillis());
            socket.setSoTimeout((int) COMMAND_TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
                request.writeBytes(bytes);
                request.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            out.write(request.toByteArray());
            out.flush();
            return readReply(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", args) + " on Redis port " + port, e);
        }
    }

    /** An error reply of Redis ({@code -ERR ...}). */
    public static final class RedisError extends RuntimeException {
        RedisError(String message) {
            super(message);
        }
    }

    /** {@code CLIENT KILL TYPE <type>} ({@code normal}, {@code pubsub}, …): the number of clients killed (never this one). */
    public long killClients(String type) {
        return (Long) command("CLIENT", "KILL", "TYPE", type);
    }

    public long dbSize() {
        return (Long) command("DBSIZE");
    }

    /** {@code KEYS pattern}: fine for the few keys of a test, never for a real Redis. */
    @SuppressWarnings("unchecked")
    public List<String> keys(String pattern) {
        List<String> keys = new ArrayList<>();
        for (Object key : (List<Object>) command("KEYS", pattern)) {
            keys.add((String) key);
        }
        return keys;
    }

    @SuppressWarnings("unchecked")
    public Map<String, String> hgetAll(String key) {
        List<Object> flat = (List<Object>) command("HGETALL", key);
        Map<String, String> hash = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            hash.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return hash;
    }

    /** {@code PUBSUB NUMSUB channel}: how many connections subscribe to it. */
    @SuppressWarnings("unchecked")
    public long subscribers(String channel) {
        List<Object> reply = (List<Object>) command("PUBSUB", "NUMSUB", channel);
        return (Long) reply.get(1);
    }

    private static Object readReply(InputStream in) throws IOException {
        int kind = in.read();
        if (kind < 0) {
            throw new IOException("connection closed before a reply");
        }
        String line = readLine(in);
        switch (kind) {
            case '+':
                return line;
            case '-':
                throw new RedisError(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                if (bytes.length < length + 2) {
                    throw new IOException("connection closed inside a bulk string");
                }
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(readReply(in));
                }
                return items;
            }
            default:
                throw new IOException("not a RESP2 reply: " + (char) kind + line);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside a reply");
            }
            if (previous == '\r' && b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
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
