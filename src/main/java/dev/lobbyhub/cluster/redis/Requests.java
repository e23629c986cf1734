package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.mutiny.Uni;

/**
 * Requests this node sent to others and the answers still awaited: each answer names its request
 * id and its node. A request waits for an answer from each node asked, or until its deadline, and then
 * answers what arrived (possibly nothing): delivery is at most once, and a node that is gone does
 * not hold the caller up.
 */
final class Requests {

    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    private static final class Waiting {
        /** The nodes whose answers to wait for; null until known (the request is being sent). */
        Set<String> expected;
        final Map<String, JsonNode> answers = new LinkedHashMap<>();
        final CompletableFuture<List<JsonNode>> done = new CompletableFuture<>();

        synchronized void add(String node, JsonNode answer) {
            answers.putIfAbsent(node, answer);
            check();
        }

        synchronized void expect(Set<String> nodes) {
            expected = nodes;
            check();
        }

        private void check() {
            if (expected != null && answers.keySet().containsAll(expected)) {
                done.complete(List.copyOf(answers.values()));
            }
        }

        synchronized List<JsonNode> soFar() {
            return List.copyOf(answers.values());
        }
    }

    /** Opens a request, before it is sent, so no answer is missed; answers its id, unique on this node. */
    String open() {
        String id = Long.toString(ids.incrementAndGet());
        waiting.put(id, new Waiting());
        return id;
    }

    /**
     * Once sent: waits for an answer from each of {@code nodes}, at most {@code limit}, and answers
     * those that came (one per node).
     */
    Uni<List<JsonNode>> await(String id, Set<String> nodes, Duration limit) {
        Waiting request = waiting.get(id);
        if (request == null) {
            return Uni.createFrom().item(List.of());
        }
        request.expect(nodes);
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

    void answered(String id, String node, JsonNode value) {
        Waiting request = waiting.get(id);
        if (request != null) {
            request.add(node, value);
        }
    }
}
