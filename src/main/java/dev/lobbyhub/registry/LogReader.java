package dev.lobbyhub.registry;

import java.util.List;

import io.smallrye.mutiny.Uni;

/**
 * Reads a lobby's entries back from the cluster's log (SPEC §11): for a member coming back, and
 * for a node that missed some. Fails when the store cannot answer within {@code cluster.redis-timeout}.
 */
public interface LogReader {

    /**
     * The entries after {@code after} up to {@code upTo}, in order, as the log still holds them
     * (the oldest may be gone); an entry that tells nobody anything (a seat taken over) has a null frame.
     */
    Uni<List<LogEntry>> read(String lobby, long after, long upTo);
}
