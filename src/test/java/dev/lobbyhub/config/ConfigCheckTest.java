package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lobbyhub.testing.TestConfig;

class ConfigCheckTest {

    private static final String SECRET = "config-check-secret-0123456789abcdef";

    private static LobbyhubConfig config(Map<String, String> properties) {
        return TestConfig.of(properties);
    }

    private static LobbyhubConfig withSecret(String... keyValues) {
        Map<String, String> properties = new HashMap<>();
        properties.put("lobbyhub.auth.jwt.secret", SECRET);
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put(keyValues[i], keyValues[i + 1]);
        }
        return config(properties);
    }

    private static void assertOneProblemMentioning(List<String> problems, String... words) {
        assertEquals(1, problems.size(), problems.toString());
        for (String word : words) {
            assertTrue(problems.get(0).contains(word), problems.get(0) + " should name " + word);
        }
    }

    @Test
    void defaultsPlusASecretHaveNoProblems() {
        LobbyhubConfig config = withSecret();

        assertEquals(List.of(), ConfigCheck.problems(config, false));
        assertEquals(10, config.limits().maxPerLobby());
        assertEquals(10000, config.limits().maxConnections());
    }

    @Test
    void aReconnectGraceMustOutlastTheDrainByFiveSecondsOrBeOff() {
        assertEquals(20_000, withSecret().users().reconnectGrace().toMillis(), "held for 20 s by default");
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.users.reconnect-grace", "15s"), false),
                "lobbyhub.users.reconnect-grace", "drain-period + 5s (15s)", "(was 15s)");
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.users.reconnect-grace", "30s",
                "lobbyhub.shutdown.drain-period", "25s"), false), "(30s)", "(was 30s)");
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.users.reconnect-grace", "-1s"), false),
                "(was -1s)");
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.users.reconnect-grace", "0s"), false));
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.users.reconnect-grace", "16s"), false));
    }

    @Test
    void durationsAreShownAsTheyAreWrittenInSettings() {
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.health.ping-interval", "5s",
                "lobbyhub.health.stale-after", "5s"), false), "(was 5s against 5s)");
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.cluster.node-timeout", "2500ms"), false),
                "(was 2500ms)");
        assertEquals("2m", ConfigCheck.written(java.time.Duration.ofMinutes(2)));
        assertEquals("1h", ConfigCheck.written(java.time.Duration.ofHours(1)));
        assertEquals("90s", ConfigCheck.written(java.time.Duration.ofSeconds(90)));
        assertEquals("0s", ConfigCheck.written(java.time.Duration.ZERO));
        assertEquals("-1s", ConfigCheck.written(java.time.Duration.ofSeconds(-1)));
    }

    @Test
    void defaultsPlusAPublicKeyHaveNoProblems() {
        LobbyhubConfig config = config(Map.of("lobbyhub.auth.jwt.public-key", rsaPublicKeyPem()));

        assertEquals(List.of(), ConfigCheck.problems(config, false));
    }

    @Test
    void neitherSecretNorPublicKeyIsOneProblemNamingTheVariable() {
        List<String> problems = ConfigCheck.problems(config(Map.of()), false);

        assertOneProblemMentioning(problems, "LOBBYHUB_AUTH_JWT_SECRET");
    }

    @Test
    void bothSecretAndPublicKeyIsAProblem() {
        List<String> problems = ConfigCheck.problems(withSecret("lobbyhub.auth.jwt.public-key", rsaPublicKeyPem()), false);

        assertOneProblemMentioning(problems, "lobbyhub.auth.jwt.secret", "lobbyhub.auth.jwt.public-key");
    }

    @Test
    void staleAfterEqualToPingIntervalIsAProblemNamingBothKeys() {
        List<String> problems = ConfigCheck.problems(withSecret(
                "lobbyhub.health.ping-interval", "10s", "lobbyhub.health.stale-after", "10s"), false);

        assertOneProblemMentioning(problems, "lobbyhub.health.stale-after", "lobbyhub.health.ping-interval");
    }

    @Test
    void staleAfterShorterThanPingIntervalIsAProblem() {
        List<String> problems = ConfigCheck.problems(withSecret(
                "lobbyhub.health.ping-interval", "15s", "lobbyhub.health.stale-after", "5s"), false);

        assertOneProblemMentioning(problems, "lobbyhub.health.stale-after", "lobbyhub.health.ping-interval");
    }

    @Test
    void staleAfterJustAbovePingIntervalIsFine() {
        assertEquals(List.of(), ConfigCheck.problems(withSecret(
                "lobbyhub.health.ping-interval", "10s", "lobbyhub.health.stale-after", "11s"), false));
    }

    @Test
    void maxPerLobbyZeroIsAProblemNamingTheKey() {
        List<String> problems = ConfigCheck.problems(withSecret("lobbyhub.limits.max-per-lobby", "0"), false);

        assertOneProblemMentioning(problems, "lobbyhub.limits.max-per-lobby");
    }

    @Test
    void maxPerLobbyOneIsFine() {
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.limits.max-per-lobby", "1"), false));
    }

    @Test
    void aWriteTimeoutUnderOneSecondIsAProblemNamingTheKey() {
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.limits.write-timeout", "500ms"), false),
                "lobbyhub.limits.write-timeout", "500ms");
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.limits.write-timeout", "1s"), false));
    }

    @Test
    void zeroMaxConnectionsIsAProblemNamingTheKey() {
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.limits.max-connections", "0"), false),
                "lobbyhub.limits.max-connections");
    }

    @Test
    void blankApiKeyIsAProblem() {
        List<String> problems = ConfigCheck.problems(withSecret("lobbyhub.api.key", "   "), false);

        assertOneProblemMentioning(problems, "lobbyhub.api.key");
    }

    @Test
    void realApiKeyIsFine() {
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.api.key", "admin-key-123"), false));
    }

    @Test
    void clusterModeWithoutRedisIsAProblemNamingBothKeys() {
        List<String> problems = ConfigCheck.problems(withSecret("lobbyhub.cluster.enabled", "true"), false);

        assertOneProblemMentioning(problems, "QUARKUS_REDIS_HOSTS");
        assertTrue(problems.get(0).contains("lobbyhub.cluster.enabled"), problems.toString());
    }

    @Test
    void clusterModeWithRedisIsFine() {
        assertEquals(List.of(), ConfigCheck.problems(withSecret("lobbyhub.cluster.enabled", "true"), true));
    }

    @Test
    void aNodeTimeoutUnderThreeSecondsIsAProblem() {
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.cluster.node-timeout", "2s"), false),
                "lobbyhub.cluster.node-timeout");
    }

    @Test
    void keyPrefixWithABraceIsAProblemNamingTheKey() {
        // A brace would break the one hash tag that keeps every key in one Redis Cluster slot.
        assertOneProblemMentioning(ConfigCheck.problems(withSecret("lobbyhub.cluster.key-prefix", "game{1}"), false),
                "lobbyhub.cluster.key-prefix");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        List<String> problems = ConfigCheck.problems(config(Map.of(
                "lobbyhub.limits.max-per-lobby", "0",
                "lobbyhub.cluster.enabled", "true")), false);

        assertEquals(3, problems.size(), problems.toString());
    }

    @Test
    void nonNumberForMaxPerLobbyFailsConfigNamingTheKey() {
        Map<String, String> properties = Map.of(
                "lobbyhub.auth.jwt.secret", SECRET,
                "lobbyhub.limits.max-per-lobby", "ten");

        RuntimeException e = assertThrows(RuntimeException.class, () -> config(properties));

        assertTrue(fullMessage(e).contains("lobbyhub.limits.max-per-lobby"), fullMessage(e));
    }

    // The two tests below fail: ConfigCheck does not validate the key material, and TokenVerifier
    // (@ApplicationScoped, so created lazily) only throws on the first connection, after startup succeeded.

    @Test
    void secretShorterThan32BytesIsAProblemNamingTheKey() {
        List<String> problems = ConfigCheck.problems(config(Map.of("lobbyhub.auth.jwt.secret", "too-short-secret")), false);

        assertOneProblemMentioning(problems, "lobbyhub.auth.jwt.secret");
    }

    @Test
    void unreadablePublicKeyIsAProblemNamingTheKey(@TempDir Path dir) {
        String missingFile = dir.resolve("missing.pem").toString();

        List<String> problems = ConfigCheck.problems(config(Map.of("lobbyhub.auth.jwt.public-key", missingFile)), false);

        assertOneProblemMentioning(problems, "lobbyhub.auth.jwt.public-key");
    }

    private static String rsaPublicKeyPem() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(generator.generateKeyPair().getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String fullMessage(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            text.append(t).append('\n');
        }
        return text.toString();
    }
}
