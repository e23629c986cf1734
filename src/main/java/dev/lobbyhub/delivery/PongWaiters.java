package dev.lobbyhub.delivery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;

import dev.lobbyhub.registry.Session;

/** Admin pings waiting for their {@code health_pong}. Empty almost always, so a pong costs one map look-up. */
@ApplicationScoped
public class PongWaiters {

    private record Waiter(long timestamp, CompletableFuture<Long> latency) {
    }

    private final Map<Session, List<Waiter>> waiting = new ConcurrentHashMap<>();

    /** Completes with the round-trip time in ms when the session echoes {@code timestamp}; never fails by itself. */
    public CompletableFuture<Long> await(Session session, long timestamp) {
        Waiter waiter = new Waiter(timestamp, new CompletableFuture<>());
        waiting.computeIfAbsent(session, s -> new CopyOnWriteArrayList<>()).add(waiter);
        waiter.latency().whenComplete((latency, failure) -> waiting.computeIfPresent(session, (s, list) -> {
            list.remove(waiter);
            return list.isEmpty() ? null : list;
        }));
        return waiter.latency();
    }

    void pong(Session session, long timestamp, long rttMillis) {
        if (waiting.isEmpty()) {
            return;
        }
        List<Waiter> list = waiting.get(session);
        if (list != null) {
            for (Waiter waiter : list) {
                if (waiter.timestamp() == timestamp) {
                    waiter.latency().complete(rttMillis);
                }
            }
        }
    }
}
