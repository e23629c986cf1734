package dev.lobbyhub.cluster.redis;

import java.util.List;

import io.smallrye.mutiny.Uni;

/** Small joins of the Redis calls made in parallel. */
final class Unis {

    private Unis() {
    }

    /** Completes when every one completed, fails with the first failure; at once for none. */
    static <T> Uni<Void> all(List<Uni<T>> unis) {
        return unis.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(unis).andFailFast().replaceWithVoid();
    }
}
