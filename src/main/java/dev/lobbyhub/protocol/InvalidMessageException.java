package dev.lobbyhub.protocol;

import com.fasterxml.jackson.databind.JsonNode;

/** A client frame that breaks the protocol; answered with one {@code error} frame. */
public class InvalidMessageException extends Exception {

    private final ErrorCode code;
    private final JsonNode ref;

    public InvalidMessageException(ErrorCode code, String message, JsonNode ref) {
        super(message, null, false, false);
        this.code = code;
        this.ref = ref;
    }

    public ErrorCode code() {
        return code;
    }

    /** The offending message's {@code id}, or null when it had none. */
    public JsonNode ref() {
        return ref;
    }
}
