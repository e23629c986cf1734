package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.Prerequisites;
import dev.lobbyhub.testing.RedisServer;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * The example of docs/cluster/redis-tls.md, run: a Redis that speaks only TLS, with a certificate from a CA made
 * here, and a packaged node configured by environment variables alone ({@code rediss://} plus a named TLS
 * configuration of the Quarkus TLS registry that trusts that CA). The node becomes ready, admits a player, and the
 * player's seat is in that Redis. Without the trust store, or without a hostname verification algorithm, the node
 * never becomes ready.
 */
class RedisTlsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final String API_KEY = "redis-tls-it-admin-key";

    /** A CA, and a certificate it signed for 127.0.0.1 (the address the node dials) with its key, as PEM files. */
    record Certificates(Path ca, Path certificate, Path key) {

        static Certificates generate(Path dir) throws IOException, InterruptedException {
            Prerequisites.require(Prerequisites.onPath("openssl").isPresent(), "redis.tests.required", "TLS",
                    "no openssl on the PATH to make the test certificates", "install: apt-get install openssl");
            Path caKey = dir.resolve("ca.key");
            Path ca = dir.resolve("ca.crt");
            Path key = dir.resolve("redis.key");
            Path request = dir.resolve("redis.csr");
            Path certificate = dir.resolve("redis.crt");
            Path extensions = dir.resolve("redis.ext");
            Files.writeString(extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\n", StandardCharsets.US_ASCII);
            openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=lobbyhub test CA",
                    "-keyout", caKey.toString(), "-out", ca.toString());
            openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-keyout", key.toString(), "-out", request.toString());
            openssl(dir, "x509", "-req", "-in", request.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                    "-CAcreateserial", "-days", "2", "-extfile", extensions.toString(), "-out", certificate.toString());
            return new Certificates(ca, certificate, key);
        }

        private static void openssl(Path dir, String... arguments) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("openssl"));
            command.addAll(List.of(arguments));
            Path output = dir.resolve("openssl.log");
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    throw new AssertionError("openssl " + String.join(" ", arguments) + " failed:\n" + Files.readString(output));
                }
            } finally {
                process.destroyForcibly();
            }
        }
    }

    /** What docs/cluster/redis-tls.md tells an operator to set, for a Redis at this TLS port trusting this CA file. */
    static Map<String, String> tlsEnvironment(int port, Path ca) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET);
        env.put("LOBBYHUB_API_KEY", API_KEY);
        env.put("LOBBYHUB_CLUSTER_ENABLED", "true");
        env.put("QUARKUS_REDIS_HOSTS", "rediss://127.0.0.1:" + port);
        env.put("QUARKUS_REDIS_TLS_CONFIGURATION_NAME", "redis");
        env.put("QUARKUS_TLS_REDIS_TRUST_STORE_PEM_CERTS", ca.toString());
        // Not optional: the Redis client sets no algorithm of its own, and Vert.x refuses to connect without one.
        env.put("QUARKUS_TLS_REDIS_HOSTNAME_VERIFICATION_ALGORITHM", "HTTPS");
        return env;
    }

    @Test
    void nodeUsesRedisOverTlsWithANamedTlsConfiguration(@TempDir Path dir) throws Exception {
        Certificates certificates = Certificates.generate(dir);
        try (RedisServer redis = RedisServer.withTls(certificates.certificate(), certificates.key(), certificates.ca());
                PackagedApp node = PackagedApp.start(tlsEnvironment(redis.port(), certificates.ca()))) {
            awaitReady(node);

            String lobby = Tokens.unique("tls");
            try (TestSocket player = TestSocket.joinWelcomed(node.base(), lobby, Tokens.valid("tls-player"))) {
                JsonObject user = adminUser(node, "tls-player");
                assertEquals(true, user.getBoolean("connected"), user::encode);
                assertEquals(lobby, user.getString("lobby"), user::encode);
                List<String> keys = redis.keys("*" + lobby + "*");
                assertFalse(keys.isEmpty(), "the node wrote the player's lobby to the TLS Redis");
            }
            assertFalse(node.output().contains("ERROR"), node.output());
        }
    }

    /** {@code missing}: the variable left out; {@code logged}: what the node says about it. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "QUARKUS_TLS_REDIS_TRUST_STORE_PEM_CERTS|SSLHandshakeException",
            "QUARKUS_TLS_REDIS_HOSTNAME_VERIFICATION_ALGORITHM|Missing hostname verification algorithm" })
    void withoutEachSettingTheNodeStaysNotReady(String missing, String logged, @TempDir Path dir) throws Exception {
        Certificates certificates = Certificates.generate(dir);
        try (RedisServer redis = RedisServer.withTls(certificates.certificate(), certificates.key(), certificates.ca())) {
            Map<String, String> env = tlsEnvironment(redis.port(), certificates.ca());
            env.remove(missing);
            try (PackagedApp node = PackagedApp.start(env)) {
                Awaitility.await().atMost(STARTUP).until(() -> node.output().contains("Redis is not reachable yet"));
                assertTrue(node.output().contains(logged), node.output());
                Awaitility.await().atMost(STARTUP).until(() -> readyStatus(node) == 503);
                try (TestSocket player = TestSocket.join(node.base(), Tokens.unique("tls"), Tokens.valid("tls-player"))) {
                    player.expectRejected(1013, "backplane_unavailable");
                }
            }
        }
    }

    private static void awaitReady(PackagedApp node) {
        Awaitility.await("node ready").atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!node.isAlive()) {
                throw new AssertionError("node exited:\n" + node.output());
            }
            return readyStatus(node) == 200;
        });
    }

    private static int readyStatus(PackagedApp node) {
        try {
            return HTTP.send(HttpRequest.newBuilder(node.base().resolve("q/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /** {@code GET /api/v1/users/{id}}: in cluster mode answered from Redis. */
    private static JsonObject adminUser(PackagedApp node, String userId) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(node.base().resolve("api/v1/users/" + userId))
                .header("Authorization", "Bearer " + API_KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        return new JsonObject(answer.body());
    }
}
