package dev.lobbyhub.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * Stops startup with a sentence naming the key when a value is out of range or two keys disagree.
 * Type errors ("abc" for a number) are already reported by the config layer with the key's name.
 */
@Singleton
public class ConfigCheck {

    /** The transport's own inbound limits, which must stay above lobbyhub's (see application.properties). */
    static final String TRANSPORT_MESSAGE_SIZE = "quarkus.websockets-next.server.max-message-size";
    static final String TRANSPORT_FRAME_SIZE = "quarkus.websockets-next.server.max-frame-size";
    /** Frames kept per lobby at most: the log is for a short drop, not a history store. */
    static final int MAX_HISTORY_SIZE = 10_000;

    void onStart(@Observes StartupEvent event, LobbyhubConfig config) {
        Config all = ConfigProvider.getConfig();
        List<String> problems = problems(config, all.getOptionalValue("quarkus.redis.hosts", String.class).isPresent());
        for (String key : List.of(TRANSPORT_MESSAGE_SIZE, TRANSPORT_FRAME_SIZE)) {
            all.getOptionalValue(key, Integer.class)
                    .filter(transportLimit -> transportLimit <= config.limits().maxMessageBytes())
                    .ifPresent(transportLimit -> problems.add(key + " (" + transportLimit
                            + ") must be larger than lobbyhub.limits.max-message-bytes (" + config.limits().maxMessageBytes()
                            + "): raise it too"));
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(String.join("; ", problems));
        }
    }

    /**
     * Every problem found, one sentence each; empty when the configuration is usable.
     * {@code redisConfigured}: whether {@code quarkus.redis.hosts} is set.
     */
    public static List<String> problems(LobbyhubConfig config, boolean redisConfigured) {
        List<String> problems = new ArrayList<>();
        LobbyhubConfig.Limits limits = config.limits();
        atLeast(problems, "lobbyhub.limits.max-connections", limits.maxConnections(), 1);
        atLeast(problems, "lobbyhub.limits.max-per-lobby", limits.maxPerLobby(), 1);
        atLeast(problems, "lobbyhub.limits.max-message-bytes", limits.maxMessageBytes(), 64);
        atLeast(problems, "lobbyhub.limits.messages-per-second", limits.messagesPerSecond(), 1);
        atLeast(problems, "lobbyhub.limits.burst", limits.burst(), 1);
        atLeast(problems, "lobbyhub.limits.max-lobby-properties-bytes", limits.maxLobbyPropertiesBytes(), 2);
        atLeast(problems, "lobbyhub.limits.max-member-properties-bytes", limits.maxMemberPropertiesBytes(), 2);
        atLeast(problems, "lobbyhub.limits.handshakes-per-second", limits.handshakesPerSecond(), 1);
        atLeast(problems, "lobbyhub.limits.handshake-burst", limits.handshakeBurst(), 1);
        if (limits.maxEventLoopLag().toMillis() < 10) {
            problems.add("lobbyhub.limits.max-event-loop-lag must be at least 10ms (the probe runs every 50 ms), not "
                    + limits.maxEventLoopLag());
        }
        atLeast(problems, "lobbyhub.limits.max-outbound-bytes", limits.maxOutboundBytes(), limits.maxMessageBytes());

        LobbyhubConfig.Recovery recovery = config.recovery();
        if (recovery.historySize() < 0 || recovery.historySize() > MAX_HISTORY_SIZE) {
            problems.add("lobbyhub.recovery.history-size must be between 0 and " + MAX_HISTORY_SIZE + " (was "
                    + recovery.historySize() + ")");
        }
        if (recovery.historyTtl().toMillis() < 1000) {
            problems.add("lobbyhub.recovery.history-ttl must be at least 1s (was " + written(recovery.historyTtl()) + ")");
        }

        if (limits.writeTimeout().toMillis() < 1000) {
            // The health sweep, which looks for stalled writes, ticks once a second.
            problems.add("lobbyhub.limits.write-timeout must be at least 1s (was " + written(limits.writeTimeout()) + ")");
        }

        LobbyhubConfig.Health health = config.health();
        if (health.pingInterval().toMillis() < 1000) {
            // The scheduler that runs the health sweep ticks once a second.
            problems.add("lobbyhub.health.ping-interval must be at least 1s (was " + written(health.pingInterval()) + ")");
        }
        if (health.staleAfter().compareTo(health.pingInterval()) <= 0) {
            problems.add("lobbyhub.health.stale-after must be longer than lobbyhub.health.ping-interval (was "
                    + written(health.staleAfter()) + " against " + written(health.pingInterval()) + ")");
        }
        if (config.shutdown().drainPeriod().isNegative()) {
            problems.add("lobbyhub.shutdown.drain-period must not be negative (was " + written(config.shutdown().drainPeriod()) + ")");
        }
        Duration grace = config.users().reconnectGrace();
        Duration shortest = config.shutdown().drainPeriod().plusSeconds(5);
        if (grace.isNegative() || !grace.isZero() && grace.compareTo(shortest) <= 0) {
            // A draining node's players come back within the drain period: their seats must still be held.
            problems.add("lobbyhub.users.reconnect-grace must be 0s or longer than lobbyhub.shutdown.drain-period + 5s ("
                    + written(shortest) + ") (was " + written(grace) + ")");
        }

        LobbyhubConfig.Jwt jwt = config.auth().jwt();
        if (jwt.secret().isEmpty() && jwt.publicKey().isEmpty()) {
            problems.add("LOBBYHUB_AUTH_JWT_SECRET (lobbyhub.auth.jwt.secret) is not set: set it to a secret of at least"
                    + " 32 bytes, or set LOBBYHUB_AUTH_JWT_PUBLIC_KEY to an RS256/ES256 public key");
        } else if (jwt.secret().isPresent() && jwt.publicKey().isPresent()) {
            problems.add("lobbyhub.auth.jwt.secret and lobbyhub.auth.jwt.public-key are both set: set only one");
        } else {
            try {
                VerificationKeys.of(jwt);
            } catch (ConfigurationException unusableKey) {
                problems.add(unusableKey.getMessage());
            }
        }
        if (config.api().key().filter(String::isBlank).isPresent()) {
            problems.add("lobbyhub.api.key is blank: unset it to disable the admin API, or set a real key");
        }
        for (String entry : AllowedOrigins.invalidEntries(config.allowedOrigins())) {
            problems.add("lobbyhub.allowed-origins entry '" + entry + "' is not an origin: write it like"
                    + " https://game.example.com, http://localhost:5173 or https://*.example.com");
        }
        if (!config.cluster().keyPrefix().matches("[A-Za-z0-9_.-]{1,64}")) {
            problems.add("lobbyhub.cluster.key-prefix must be 1 to 64 of A-Z a-z 0-9 _ . - (was '"
                    + config.cluster().keyPrefix() + "')");
        }
        if (config.cluster().redisTimeout().toMillis() < 1) {
            problems.add("lobbyhub.cluster.redis-timeout must be positive (was " + written(config.cluster().redisTimeout()) + ")");
        }
        if (config.cluster().enabled() && !redisConfigured) {
            problems.add("lobbyhub.cluster.enabled=true needs Redis: set QUARKUS_REDIS_HOSTS (quarkus.redis.hosts),"
                    + " e.g. redis://redis:6379");
        }
        if (config.cluster().nodeTimeout().toMillis() < 3000) {
            problems.add("lobbyhub.cluster.node-timeout must be at least 3s (was " + written(config.cluster().nodeTimeout()) + ")");
        }
        return problems;
    }

    /** A duration the way a setting writes it: {@code 5s}, {@code 500ms}, {@code 2m}, {@code 1h}; not {@code PT5S}. */
    static String written(java.time.Duration duration) {
        long millis = duration.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private static void atLeast(List<String> problems, String key, long value, long min) {
        if (value < min) {
            problems.add(key + " must be at least " + min + " (was " + value + ")");
        }
    }
}
