package dev.lobbyhub.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Every setting of lobbyhub, under the prefix {@code lobbyhub}. Each key can also be set as an
 * environment variable: {@code lobbyhub.limits.max-per-lobby} is {@code LOBBYHUB_LIMITS_MAX_PER_LOBBY}.
 * Cross-field rules are checked at startup by {@link ConfigCheck}.
 */
@ConfigMapping(prefix = "lobbyhub")
public interface LobbyhubConfig {

    Limits limits();

    Health health();

    Users users();

    Recovery recovery();

    Shutdown shutdown();

    Auth auth();

    Api api();

    Cluster cluster();

    Demo demo();

    /**
     * Browser origins allowed to connect: exact origins ({@code https://game.example.com}) or
     * wildcards ({@code https://*.example.com}). A handshake whose {@code Origin} is outside the list
     * is closed 4003 {@code origin_not_allowed}; one without {@code Origin} is not affected. Unset:
     * any origin.
     */
    Optional<List<String>> allowedOrigins();

    interface Limits {
        /** Open connections on this node; connection number {@code max+1} is closed 4002 {@code server_full}. */
        @WithDefault("10000")
        int maxConnections();

        /** Members of one lobby; one more is closed 4002 {@code lobby_full}. */
        @WithDefault("10")
        int maxPerLobby();

        /** Largest inbound message in bytes (UTF-8); a larger one closes the connection with 1009. */
        @WithDefault("65536")
        int maxMessageBytes();

        /** Sustained inbound messages per second per connection (token bucket refill rate). */
        @WithDefault("50")
        int messagesPerSecond();

        /** Token bucket size; also the number of dropped messages in a row that closes with 4008. */
        @WithDefault("100")
        int burst();

        /**
         * New connections per second this node takes (token bucket refill rate); one over it is closed
         * 1013 {@code server_busy} with a retry hint, before its token is checked (SPEC §14).
         */
        @WithDefault("1000")
        int handshakesPerSecond();

        /** The handshake bucket's size: how many connections may arrive at once. */
        @WithDefault("200")
        int handshakeBurst();

        /**
         * Event-loop lag over which new connections are closed 1013 {@code server_busy}, until the lag has
         * stayed under half of it for 2 s (SPEC §14).
         */
        @WithDefault("250ms")
        Duration maxEventLoopLag();

        /** UTF-8 bytes queued to one client and not yet written; over it the connection is closed 4009. */
        @WithDefault("1048576")
        long maxOutboundBytes();

        /**
         * A connection with frames waiting that accepts no bytes for this long is closed 4009, however
         * small its backlog: kernel buffers can hold megabytes before {@link #maxOutboundBytes} is reached.
         */
        @WithDefault("10s")
        Duration writeTimeout();

        /** Largest {@code properties} of a lobby, serialized (SPEC §12); larger gets {@code properties_too_large}. */
        @WithDefault("4096")
        int maxLobbyPropertiesBytes();

        /** Largest {@code properties} of one member, serialized (SPEC §12). */
        @WithDefault("1024")
        int maxMemberPropertiesBytes();

        /** Directory and quick-join calls per second per user (SPEC §13); one more is answered 429. */
        @WithDefault("5")
        int lobbyCallsPerSecond();
    }

    interface Health {
        /** Time between two {@code health_ping}s to each connection. */
        @WithDefault("15s")
        Duration pingInterval();

        /** Silence after which a connection is evicted with 4004 {@code stale}; longer than ping-interval. */
        @WithDefault("45s")
        Duration staleAfter();
    }

    interface Recovery {
        /** Frames kept per lobby for members coming back (SPEC §11); 0 turns the lobby log off. */
        @WithDefault("200")
        int historySize();

        /** A lobby's kept frames are dropped when it sent nothing for this long. */
        @WithDefault("5m")
        Duration historyTtl();
    }

    interface Users {
        /** What a second connection of an already connected user does: {@code replace} the old one or get {@code reject}ed. */
        @WithDefault("replace")
        OnDuplicate onDuplicate();

        /**
         * How long the seat of a member whose connection dropped is held for its return (SPEC §10);
         * 0 frees it at once. Longer than {@code shutdown.drain-period} + 5 s, so players of a
         * draining node are back before their seats end.
         */
        @WithDefault("20s")
        Duration reconnectGrace();

        /**
         * How long a seat reserved by quick join or a game backend waits for its user's connection
         * (SPEC §13); an unused one ends silently.
         */
        @WithDefault("15s")
        Duration reservationTtl();
    }

    enum OnDuplicate {
        /** The new connection is admitted and the older one closed 4005 {@code replaced}. */
        REPLACE,
        /** The new connection is closed 4011 {@code duplicate_session}. */
        REJECT
    }

    interface Shutdown {
        /** How long closing every connection is spread over when the node drains. */
        @WithDefault("10s")
        Duration drainPeriod();
    }

    interface Auth {
        Jwt jwt();
    }

    interface Jwt {
        /** HS256 key: the UTF-8 bytes of this text, at least 32 of them. */
        Optional<String> secret();

        /** RS256 or ES256 verification key: PEM text or the path of a PEM file. */
        Optional<String> publicKey();

        /** When set, tokens must carry exactly this {@code iss}. */
        Optional<String> issuer();
    }

    interface Api {
        /** Bearer key of the admin API; unset, every admin request gets 403 {@code admin_api_disabled}. */
        Optional<String> key();
    }

    interface Demo {
        /** Serve the demo lobby page at {@code /}; on in dev mode, off otherwise. */
        @WithDefault("false")
        boolean enabled();
    }

    interface Cluster {
        /** Cluster mode: nodes share Redis ({@code quarkus.redis.hosts}) and every rule holds across them. */
        @WithDefault("false")
        boolean enabled();

        /** How long a node may be silent before the cluster treats it as gone. */
        @WithDefault("15s")
        Duration nodeTimeout();

        /** The longest wait for any Redis answer; a slower Redis counts as unreachable. */
        @WithDefault("2s")
        Duration redisTimeout();

        /**
         * First part of every Redis key and channel lobbyhub writes (then {@code :{prefix}:}, one hash
         * tag, so all keys share a slot); lets several deployments share one Redis.
         */
        @WithDefault("lobbyhub")
        String keyPrefix();
    }
}
