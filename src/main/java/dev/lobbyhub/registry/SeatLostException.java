package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.CloseCode;

/**
 * Cluster mode: a connection lost the seat it was being given before its admission finished (a
 * newer connection of its user took it); it ends with this close code, not as a refusal.
 */
public final class SeatLostException extends RuntimeException {

    private final CloseCode code;

    SeatLostException(CloseCode code) {
        super("seat lost while being admitted: " + code.reason(), null, false, false);
        this.code = code;
    }

    public CloseCode code() {
        return code;
    }
}
