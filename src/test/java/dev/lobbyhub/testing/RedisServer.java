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
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import org.awaitility.Awaitility;

/**
 * A real {@code redis-server} on a free loopback port, in memory only, owned by the test that started it: stopped by
 * its PID on {@link #close()}, also when the test failed.
 *
 * <p>Which binary: {@code -Dredis.tests.server=…} ({@link #BINARY_PROPERTY}; or the environment variable
 * {@code REDIS_TESTS_SERVER}). Not a {@code lobbyhub.} name: Quarkus refuses unknown properties of its prefix.
 * <ul>
 * <li>unset or {@code auto}: {@code redis-server} on the {@code PATH} (or {@code /usr/bin/redis-server}, Debian's
 * package, 7.0 in CI); without one, the Redis 6.2 binary that the test dependency {@code embedded-redis} carries in
 * its jar, copied to {@code target/embedded-redis/} and run the same way. With {@code -Dredis.tests.required=true}
 * (CI) there is no fallback: a missing {@code redis-server} fails the test.</li>
 * <li>{@code embedded}: always that 6.2 binary (to check the fallback, or Redis 6.2, on a machine that has a
 * {@code redis-server}).</li>
 * <li>{@code system}: only an installed {@code redis-server}.</li>
 * <li>a path: that binary.</li>
 * </ul>
 * A Redis test is not skipped for want of a Redis: it runs, or it fails saying what is missing. Only a TLS test on a
 * binary built without TLS is skipped ({@link #withTls}).
 *
 * <p>A test can also talk to it directly ({@link #command(String...)}, a small RESP2 client on a
 * fresh socket per call, bounded by {@link #COMMAND_TIMEOUT}): kill clients, count keys, read a hash.
 */
public final class RedisServer implements AutoCloseable {

    /** System property choosing the binary: {@code auto} (default), {@code embedded}, {@code system} or a path. */
    public static final String BINARY_PROPERTY = "redis.tests.server";
    /** Set (to a description of the binary) once a test started the embedded binary; read by {@link SkippedTestsSummary}. */
    static final String EMBEDDED_USED_PROPERTY = "redis.tests.server.embedded-used";
    private static final String DEBIAN_BINARY = "/usr/bin/redis-server";
    private static final String INSTALL = "install: apt-get install redis-server (Debian, Ubuntu) or brew install redis (macOS)";
    /** Bound of one {@link #command(String...)}: connect plus answer. A frozen server fails it. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

    private static Binary binary;

    private final Process process;
    private final int port;
    private final Path log;
    private final SSLSocketFactory tls;

    private RedisServer(Process process, int port, Path log, SSLSocketFactory tls) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.tls = tls;
    }

    /** The binary the tests run, and why this one. */
    record Binary(Path path, boolean embedded, String version, String why) {
        String describe() {
            return "redis-server " + version + " (" + path + ", " + why + ")";
        }
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
     * certificate of their own. {@link #port()} is the TLS port; {@link #command(String...)} speaks TLS to it,
     * trusting {@code caCertificate}. A binary built without TLS skips the test (fails it with
     * {@code -Dredis.tests.required=true}).
     */
    public static RedisServer withTls(Path certificate, Path key, Path caCertificate) throws IOException {
        return start(PackagedApp.freePort(), List.of("--port", "0", "--tls-auth-clients", "no",
                "--tls-cert-file", certificate.toString(), "--tls-key-file", key.toString(),
                "--tls-ca-cert-file", caCertificate.toString()), caCertificate);
    }

    /** Starts an empty server on this port with these arguments added (a later {@code --port} wins). */
    public static RedisServer start(int port, List<String> arguments) throws IOException {
        return start(port, arguments, null);
    }

    private static RedisServer start(int port, List<String> arguments, Path tlsCa) throws IOException {
        Binary redis = binary();
        if (redis.embedded()) {
            System.setProperty(EMBEDDED_USED_PROPERTY, redis.describe());
        }
        List<String> command = new ArrayList<>(List.of(redis.path().toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"));
        if (tlsCa != null) {
            command.addAll(List.of("--tls-port", Integer.toString(port)));
        }
        command.addAll(arguments);
        SSLSocketFactory tls = tlsCa == null ? null : trusting(tlsCa);
        Path log = Files.createTempFile("lobbyhub-redis-" + port + "-", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        RedisServer server = new RedisServer(process, port, log, tls);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!process.isAlive()) {
                    throw new ExitedAtStart(redis.describe() + " exited at start (exit code " + process.exitValue()
                            + "): " + String.join(" ", command) + "\n" + server.output());
                }
                return server.accepts();
            });
        } catch (RuntimeException notUp) {
            String output = server.output();
            server.close();
            if (tlsCa != null && output.contains("Bad directive") && output.contains("tls-")) {
                // A build without TLS: "Bad directive or wrong number of arguments" at 'tls-port "<port>"'.
                Prerequisites.require(false, "redis.tests.required", "TLS",
                        redis.describe() + " has no TLS support",
                        "install a redis-server built with TLS: apt-get install redis-server (Debian's is)");
            }
            throw notUp;
        }
        return server;
    }

    /** The server exited before it accepted a connection (a bad argument, a missing shared library, a port in use). */
    private static final class ExitedAtStart extends IllegalStateException {
        ExitedAtStart(String message) {
            super(message);
        }
    }

    /** The binary of {@link #BINARY_PROPERTY}, found once per JVM. */
    static synchronized Binary binary() throws IOException {
        if (binary == null) {
            binary = findBinary();
        }
        return binary;
    }

    private static Binary findBinary() throws IOException {
        String choice = System.getProperty(BINARY_PROPERTY, Optional.ofNullable(System.getenv("REDIS_TESTS_SERVER"))
                .orElse("auto")).strip();
        Optional<Path> installed = Prerequisites.onPath("redis-server")
                .or(() -> Optional.of(Path.of(DEBIAN_BINARY)).filter(Files::isExecutable));
        switch (choice) {
            case "", "auto":
                if (installed.isPresent()) {
                    return new Binary(installed.get(), false, version(installed.get()), "installed");
                }
                if (Boolean.getBoolean("redis.tests.required")) {
                    throw new IllegalStateException("Redis tests are required (-Dredis.tests.required=true, no fallback "
                            + "to the embedded Redis 6.2): no redis-server on the PATH nor " + DEBIAN_BINARY + " — "
                            + INSTALL);
                }
                return embedded("from embedded-redis: no redis-server on the PATH");
            case "system":
                return installed.map(path -> new Binary(path, false, version(path), "installed")).orElseThrow(
                        () -> new IllegalStateException("-D" + BINARY_PROPERTY + "=system: no redis-server on the PATH"
                                + " nor " + DEBIAN_BINARY + " — " + INSTALL));
            case "embedded":
                return embedded("from embedded-redis: -D" + BINARY_PROPERTY + "=embedded");
            default:
                Path path = Path.of(choice);
                if (!Files.isExecutable(path)) {
                    throw new IllegalStateException("-D" + BINARY_PROPERTY + "=" + choice + ": not an executable file");
                }
                return new Binary(path, false, version(path), "-D" + BINARY_PROPERTY);
        }
    }

    /**
     * The redis-server binary of embedded-redis (a test dependency, see the pom) for this OS and CPU, copied out of
     * its jar to {@code target/embedded-redis/}. The resource names are those of embedded-redis 1.4.3.
     */
    private static Binary embedded(String why) throws IOException {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String resource = embeddedResource(os, arch);
        if (resource == null) {
            throw new IllegalStateException("no redis-server on the PATH, and embedded-redis has no Redis for " + os + "/"
                    + arch + " — " + INSTALL);
        }
        ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(RedisServer.class.getClassLoader());
        Path target = Path.of("target", "embedded-redis").toAbsolutePath();
        Path path = target.resolve(resource);
        try (InputStream in = Optional.ofNullable(loader.getResourceAsStream(resource))
                .or(() -> Optional.ofNullable(RedisServer.class.getClassLoader().getResourceAsStream(resource)))
                .orElseThrow(() -> new IllegalStateException("no redis-server on the PATH, and no " + resource
                        + " on the test class path (the embedded-redis test dependency) — " + INSTALL))) {
            byte[] bytes = in.readAllBytes();
            if (!Files.isExecutable(path) || Files.size(path) != bytes.length) {
                // Written next to it and renamed: a JVM of another test run may be starting the old copy.
                Files.createDirectories(target);
                Path copy = Files.createTempFile(target, resource, ".tmp");
                Files.write(copy, bytes);
                copy.toFile().setExecutable(true);
                Files.move(copy, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return new Binary(path, true, version(path), why);
    }

    /** The name of embedded-redis 1.4.3's binary for this OS and CPU (as Java names them), or null. */
    private static String embeddedResource(String os, String arch) {
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        if (os.contains("linux")) {
            return x64 ? "redis-server-6.2.6-v5-linux-amd64" : arm64 ? "redis-server-6.2.7-linux-arm64"
                    : arch.matches("i[3-6]86|x86") ? "redis-server-6.2.7-linux-386" : null;
        }
        if (os.contains("mac")) {
            return x64 ? "redis-server-6.2.6-v5-darwin-amd64" : arm64 ? "redis-server-6.2.6-v5-darwin-arm64" : null;
        }
        return null;
    }

    /** {@code 7.0.15} of {@code redis-server --version} ("Redis server v=7.0.15 sha=…"); the binary's own error otherwise. */
    private static String version(Path path) {
        try {
            Process process = new ProcessBuilder(path.toString(), "--version").redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            process.waitFor(10, TimeUnit.SECONDS);
            Matcher version = Pattern.compile("v=(\\S+)").matcher(output);
            if (process.exitValue() != 0 || !version.find()) {
                throw new IllegalStateException(path + " --version: " + output + " — " + INSTALL);
            }
            return version.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(path + " does not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What the server printed so far (its log goes to a temporary file, deleted on {@link #close()}). */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** Sockets that trust this CA certificate (PEM), for a server started {@link #withTls}. */
    private static SSLSocketFactory trusting(Path caCertificate) throws IOException {
        try (InputStream in = Files.newInputStream(caCertificate)) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + caCertificate, e);
        }
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
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), (int) COMMAND_TIMEOUT.toMillis());
            plain.setSoTimeout((int) COMMAND_TIMEOUT.toMillis());
            Socket socket = tls == null ? plain : tls.createSocket(plain, "127.0.0.1", port, true);
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
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temporary file left behind is harmless
        }
    }
}
