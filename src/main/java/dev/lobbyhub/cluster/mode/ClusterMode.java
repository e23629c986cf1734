package dev.lobbyhub.cluster.mode;

import java.time.Duration;

import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import dev.lobbyhub.cluster.BackplaneHealth;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.registry.LobbyLink;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.cluster.local.LocalBroker;
import dev.lobbyhub.cluster.local.LocalPresence;
import dev.lobbyhub.cluster.redis.RedisCluster;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ConnectionRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;

/**
 * Picks the implementations of the cluster seam at startup from {@code lobbyhub.cluster.enabled}:
 * this node alone (nothing touches Redis, none is needed), or Redis. The choice is made at run
 * time, so one build (and one native image) serves both.
 */
@Singleton
public class ClusterMode {

    private static final Logger LOG = Logger.getLogger(ClusterMode.class);

    private final boolean enabled;
    private final Duration redisTimeout;
    private RedisAuthWatch authWatch;

    ClusterMode(LobbyhubConfig config) {
        this.enabled = config.cluster().enabled();
        this.redisTimeout = config.cluster().redisTimeout();
    }

    /**
     * After the configuration check (default priority), so a bad setting stops startup with its one line first. A Redis
     * that refuses this node's credentials is named in one line, and the cluster starts once it accepts them
     * ({@link RedisAuthWatch}).
     */
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 900) StartupEvent event,
            Instance<RedisCluster> cluster, Instance<Redis> redis, Vertx vertx) {
        if (enabled) {
            RedisCluster started = cluster.get();
            authWatch = new RedisAuthWatch(redis.get(), vertx, redisTimeout, started::start, started::isUp);
            authWatch.start();
        }
    }

    /** After the drain (which observes the same event at the default priority): the node leaves the cluster. */
    void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) ShutdownEvent event,
            Instance<RedisCluster> cluster) {
        if (enabled) {
            if (authWatch != null) {
                authWatch.stop();
            }
            cluster.get().leave();
        }
    }

    @Produces
    @Singleton
    Admitter admitter(ConnectionRegistry registry, Instance<RedisCluster> cluster) {
        if (enabled) {
            return cluster.get().admitter();
        }
        return (identity, lobby, connectionId, transport, resume) -> Uni.createFrom()
                .item(registry.localSeating().admit(identity, lobby, connectionId, transport, resume));
    }

    @Produces
    @Singleton
    Presence presence(LocalPresence local, Instance<RedisCluster> cluster) {
        return enabled ? cluster.get().presence() : local;
    }

    @Produces
    @Singleton
    Broker broker(LocalBroker local, Instance<RedisCluster> cluster) {
        return enabled ? cluster.get().broker() : local;
    }

    @Produces
    @Singleton
    LobbyLink lobbyLink(Instance<RedisCluster> cluster) {
        return enabled ? cluster.get().lobbyLink() : new LobbyLink() {
            @Override
            public void toLobby(String lobby, String frame) {
            }

            @Override
            public boolean toMember(String lobby, String userId, String frame) {
                return false;
            }
        };
    }

    @Produces
    @Singleton
    BackplaneHealth backplaneHealth(Instance<RedisCluster> cluster) {
        return enabled ? cluster.get() : () -> true;
    }
}
