package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;

/**
 * Requests this node sent to others and the answers still awaited: each answer names its request
 * id. A request waits for as many answers as nodes were asked, or until its deadline, and then
 * answers what arrived (possibly nothing): delivery is at most once, and a node that is gone does
 * not hold the caller up.
 */
final class Requests {

    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    private static final class Waiting {
        /** How many answers to wait for; -1 until known (the request is being sent). */
        int expected = -1;
        final List<JsonNode> answers = new ArrayList<>();
        final CompletableFuture<List<JsonNode>> done = new CompletableFuture<>();

        synchronized void add(JsonNode answer) {
            answers.add(answer);
            check();
        }

        synchronized void expect(int count) {
            expected = count;
            check();
        }

        private void check() {
            if (expected >= 0 && answers.size() >= expected) {
                done.complete(List.copyOf(answers));
            }
        }

        synchronized List<JsonNode> soFar() {
            return List.copyOf(answers);
        }
    }

    /** Opens a request, before it is sent, so no answer is missed; answers its id, unique on this node. */
    String open() {
        String id = Long.toString(ids.incrementAndGet());
        waiting.put(id, new Waiting());
        return id;
    }

    /**
     * Once sent: waits for {@code expected} answers to the request, at most {@code limit}, and
     * answers those that came.
     */
    Uni<List<JsonNode>> await(String id, int expected, Duration limit) {
        Waiting request = waiting.get(id);
        if (request == null) {
            return Uni.createFrom().item(List.of());
        }
        request.expect(Math.max(0, expected));
        CompletableFuture<List<JsonNode>> bounded = request.done.completeOnTimeout(null, limit.toMillis(),
                TimeUnit.MILLISECONDS);
        return Uni.createFrom().completionStage(bounded)
                .map(answers -> answers != null ? answers : request.soFar())
                .onTermination().invoke(() -> waiting.remove(id));
    }

    /** Gives up on a request that could not be sent. */
    void cancel(String id) {
        Waiting request = waiting.remove(id);
        if (request != null) {
            request.done.complete(List.of());
        }
    }

    void answered(String id, JsonNode value) {
        Waiting request = waiting.get(id);
        if (request != null) {
            request.add(value);
        }
    }
}
