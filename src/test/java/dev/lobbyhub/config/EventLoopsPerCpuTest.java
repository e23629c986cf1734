package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;

@QuarkusTest
class EventLoopsPerCpuTest {

    @Inject
    Vertx vertx;

    @Test
    void oneEventLoopPerCpuByDefault() {
        int cpus = Runtime.getRuntime().availableProcessors();
        // Quarkus alone leaves the key unset (and picks its own count); lobbyhub sets it.
        assertEquals(cpus, ConfigProvider.getConfig().getValue("quarkus.vertx.event-loops-pool-size", Integer.class));
        assertEquals(cpus, loops(vertx));
    }

    /** How many event loops a running Vert.x has: one distinct thread per loop. */
    static int loops(Vertx vertx) {
        Set<String> names = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 64; i++) {
            vertx.nettyEventLoopGroup().next().submit(() -> names.add(Thread.currentThread().getName()))
                    .syncUninterruptibly();
        }
        return names.size();
    }
}
