package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.RedisServer;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;

/**
 * What an operator sees when the Redis address or its password is wrong: one line that says what to fix, never the
 * password, no stack trace, and no line repeated every second.
 */
class RedisCredentialsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final String REFUSED = "Redis refused authentication";

    private static Map<String, String> clusterNode(String redisHosts) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET);
        env.put("LOBBYHUB_CLUSTER_ENABLED", "true");
        env.put("QUARKUS_REDIS_HOSTS", redisHosts);
        return env;
    }

    /** {@code secret}: the part of the address that must not be printed. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "redis://:Bad%zzPass@127.0.0.1:6379|Bad%zzPass",
            "redis://lobbyhub:Pa%ss@127.0.0.1:6379|Pa%ss",
            "redis://:p@ss%w0rd@127.0.0.1:6379|ss%w0rd",
            "redis://:two words@127.0.0.1:6379|two words",
            "redis://127.0.0.1:6379,redis://:Bad%zzPass@127.0.0.1:6380|zzPass" })
    void malformedAddressStopsStartupWithOneLineThatHidesThePassword(String hosts, String secret) throws Exception {
        try (PackagedApp node = PackagedApp.start(clusterNode(hosts))) {
            assertNotEquals(0, node.awaitExit(STARTUP));
            String output = node.output();
            assertFalse(output.contains(secret), output);
            assertEquals(1, output.lines().filter(line -> line.contains("quarkus.redis.hosts")).count(), output);
            assertTrue(output.contains("QUARKUS_REDIS_HOSTS"), output);
            assertTrue(output.contains("<user-info hidden>@127.0.0.1:63"), output);
            assertFalse(output.contains("\tat "), "no stack trace:\n" + output);
        }
    }

    @Test
    void redisThatWantsAPasswordAndGetsNoneIsNamedInOneLine() throws Exception {
        try (RedisServer redis = RedisServer.withPassword("redis-password-for-the-it");
                PackagedApp node = PackagedApp.start(clusterNode(redis.uri()))) {
            Awaitility.await().atMost(STARTUP).until(() -> node.output().contains(REFUSED + " (NOAUTH"));
            // The line comes before HTTP listens.
            Awaitility.await().atMost(STARTUP).until(() -> readyStatus(node) == 503);
            try (TestSocket player = TestSocket.join(node.base(), Tokens.unique("auth"), Tokens.valid("player"))) {
                player.expectRejected(1013, "backplane_unavailable");
            }
            // Several retries later: still the one line, nothing else at ERROR, no stack trace.
            Awaitility.await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(20))
                    .until(() -> linesWith(node, REFUSED) == 1);
            assertEquals(1, linesWith(node, "ERROR"), node.output());
            assertFalse(node.output().contains("\tat "), "no stack trace:\n" + node.output());
            assertTrue(node.output().contains("quarkus.redis.password"), node.output());
        }
    }

    @Test
    void wrongPasswordIsNamedWithoutPrintingItAndTheRightOneWorks() throws Exception {
        String password = "the-right-redis-password";
        String wrong = "a-wrong-redis-password";
        try (RedisServer redis = RedisServer.withPassword(password)) {
            String address = "redis://:%s@127.0.0.1:" + redis.port();
            try (PackagedApp node = PackagedApp.start(clusterNode(address.formatted(wrong)))) {
                Awaitility.await().atMost(STARTUP).until(() -> node.output().contains(REFUSED + " (WRONGPASS"));
                // The line comes before HTTP listens.
                Awaitility.await().atMost(STARTUP).until(() -> readyStatus(node) == 503);
                assertFalse(node.output().contains(wrong), node.output());
            }
            try (PackagedApp node = PackagedApp.start(clusterNode(address.formatted(password)))) {
                Awaitility.await().atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> readyStatus(node) == 200);
                TestSocket.joinWelcomed(node.base(), Tokens.unique("auth"), Tokens.valid("player")).close();
                assertFalse(node.output().contains(REFUSED), node.output());
                assertFalse(node.output().contains(password), node.output());
            }
        }
    }

    private static long linesWith(PackagedApp node, String text) {
        return node.output().lines().filter(line -> line.contains(text)).count();
    }

    private static int readyStatus(PackagedApp node) {
        try {
            return HTTP.send(HttpRequest.newBuilder(node.base().resolve("q/health/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
