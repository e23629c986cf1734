package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.CloseCode;

/** The socket under a session. Both calls return at once and never throw; failures are handled inside. */
public interface Transport {

    /**
     * The session this transport carries was admitted: called just before its {@code welcome} is
     * queued, so that a frame the client sends in reply finds it.
     */
    default void admitted(Session session) {
    }

    /** Queues one text frame. */
    void send(String text);

    /** Sends the close frame with this code and reason, then closes the socket. */
    void close(CloseCode code);

    /** As {@link #close(CloseCode)}, the reason followed by a retry hint ({@link CloseCode#reason(long)}). */
    default void close(CloseCode code, long hintMs) {
        close(code);
    }

    /**
     * Runs {@code action} once the inbound frame being handled now, if any, is done: on the
     * connection's own thread, after what it has queued there. A transport without one runs it at once.
     */
    default void afterInbound(Runnable action) {
        action.run();
    }

    /**
     * Whether frames have been waiting for the client while it accepted no bytes, for at least
     * {@code timeoutNanos}, as seen by successive calls (one caller at a time: the health sweep).
     * A transport that cannot tell never stalls.
     */
    default boolean writeStalled(long nowNanos, long timeoutNanos) {
        return false;
    }
}
