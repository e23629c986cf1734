package dev.lobbyhub.metrics;

import java.util.Locale;

/** Why a message was not delivered; the {@code reason} tag of {@code lobbyhub_messages_dropped_total}. */
public enum DropReason {
    /** An inbound message over the sender's rate limit. */
    RATE_LIMITED,
    /** An inbound frame that broke the protocol. */
    INVALID,
    /** A direct message to a user who is not in the sender's lobby. */
    USER_NOT_FOUND,
    /** An outbound frame to a client over its outbound byte limit or stalled past write-timeout, or whose write failed. */
    SEND_FAILED,
    /** Cluster mode: a message for members on other nodes while Redis could not be reached. */
    BACKPLANE_UNAVAILABLE;

    private final String tag = name().toLowerCase(Locale.ROOT);

    public String tag() {
        return tag;
    }
}
