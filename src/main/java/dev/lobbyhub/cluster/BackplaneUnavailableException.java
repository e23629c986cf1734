package dev.lobbyhub.cluster;

/**
 * Cluster mode: Redis is unreachable, or did not answer within {@code cluster.redis-timeout}; the
 * operation did nothing. The admin API answers it with 503 {@code backplane_unavailable}.
 */
public class BackplaneUnavailableException extends RuntimeException {

    public BackplaneUnavailableException(String message) {
        super(message, null, false, false);
    }
}
