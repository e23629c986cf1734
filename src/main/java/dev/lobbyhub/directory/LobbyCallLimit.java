package dev.lobbyhub.directory;

import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.lobbyhub.config.LobbyhubConfig;
import io.quarkus.scheduler.Scheduled;

/**
 * {@code limits.lobby-calls-per-second} (SPEC §13): each user's directory and quick-join calls on this
 * node, as a token bucket per user that holds one second's worth. Buckets of users who stopped calling
 * are dropped, so the map stays as small as the set of recent callers.
 */
@ApplicationScoped
public class LobbyCallLimit {

    private static final long SECOND_NANOS = 1_000_000_000L;

    /** Tokens left and when they were last counted. */
    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    private final int perSecond;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    @Inject
    LobbyCallLimit(LobbyhubConfig config) {
        this(config.limits().lobbyCallsPerSecond());
    }

    LobbyCallLimit(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Takes one call from the user's bucket; false when it is empty (answer 429). */
    public boolean tryCall(String userId) {
        long now = System.nanoTime();
        Bucket bucket = buckets.computeIfAbsent(userId, id -> new Bucket(perSecond, now));
        synchronized (bucket) {
            bucket.tokens = Math.min(perSecond, bucket.tokens + (double) (now - bucket.at) * perSecond / SECOND_NANOS);
            bucket.at = now;
            if (bucket.tokens < 1) {
                return false;
            }
            bucket.tokens -= 1;
            return true;
        }
    }

    /** Users idle for over a second have full buckets again: theirs are forgotten. */
    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void forgetIdle() {
        long cutoff = System.nanoTime() - SECOND_NANOS;
        buckets.entrySet().removeIf(entry -> entry.getValue().at < cutoff);
    }
}
