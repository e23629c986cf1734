package dev.lobbyhub.protocol;

import java.util.Locale;

/** The {@code code} of an {@code error} frame. */
public enum ErrorCode {
    /** Empty, not JSON, or not a JSON object. */
    INVALID_JSON,
    /** {@code type} missing, null or not a string, or another field missing or wrongly typed. */
    INVALID_MESSAGE,
    /** A string {@code type} that clients may not send. */
    UNKNOWN_TYPE,
    /** The {@code to} of a direct message is not a member of the sender's lobby. */
    USER_NOT_FOUND,
    /** A message dropped for going over the rate limit. */
    RATE_LIMITED,
    /** A binary frame; lobbyhub speaks JSON text only. */
    BINARY_NOT_SUPPORTED,
    /** A {@code lobby_update} or {@code kick} from a member who does not own the lobby (SPEC §12). */
    NOT_OWNER,
    /** A {@code lobby_update} whose {@code expected_version} is not the lobby's: nothing changed. */
    VERSION_CONFLICT,
    /** Lobby or member properties over their limit, serialized. */
    PROPERTIES_TOO_LARGE;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }
}
