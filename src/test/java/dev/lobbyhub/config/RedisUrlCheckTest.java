package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedisUrlCheckTest {

    @ParameterizedTest
    @ValueSource(strings = { "redis://127.0.0.1:6379", "redis://:p%40ss@redis:6379", "rediss://user:pw@redis.example.com:6380/2",
            "redis://a:6379, redis://b:6379", "unix:///run/redis.sock" })
    void urlsPass(String hosts) {
        assertNull(RedisUrlCheck.problem("quarkus.redis.hosts", hosts));
    }

    /** {@code secret}: what must not appear in the sentence. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "redis://:Bad%zzPass@127.0.0.1:6379|zzPass",
            "redis://admin:Pa%ss@127.0.0.1:6379|Pa%ss",
            "redis://:p@ss%w0rd@127.0.0.1:6379|ss%w0rd",
            "redis://:two words@127.0.0.1:6379|two words" })
    void malformedUrlIsNamedWithItsUserInfoHidden(String hosts, String secret) {
        String problem = RedisUrlCheck.problem("quarkus.redis.hosts", hosts);

        assertFalse(problem.contains(secret), problem);
        assertTrue(problem.startsWith("quarkus.redis.hosts (QUARKUS_REDIS_HOSTS) is not a URL: "), problem);
        assertTrue(problem.contains("in the user name or password of redis://<user-info hidden>@127.0.0.1:6379"), problem);
    }

    @Test
    void aBreakOutsideTheUserInfoIsNotBlamedOnThePassword() {
        String problem = RedisUrlCheck.problem("quarkus.redis.hosts", "redis://:secret@127.0.0.1:63 79");

        assertFalse(problem.contains("secret"), problem);
        assertTrue(problem.contains(": Illegal character in authority in redis://<user-info hidden>@127.0.0.1:63 79. "), problem);
    }

    @Test
    void namedClientsAreCheckedWithTheirOwnKey() {
        String problem = RedisUrlCheck.problem("quarkus.redis.backup.hosts", "redis://:a%zz@host:1");

        assertTrue(problem.startsWith("quarkus.redis.backup.hosts (QUARKUS_REDIS_BACKUP_HOSTS) is not a URL"), problem);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "redis://:secret@host:1|redis://<user-info hidden>@host:1",
            "redis://host:1|redis://host:1",
            "redis://u:a@b/c@host:1|redis://<user-info hidden>@host:1" })
    void redactHidesEverythingBetweenTheSchemeAndTheLastAt(String address, String redacted) {
        assertEquals(redacted, RedisUrlCheck.redact(address));
    }
}
