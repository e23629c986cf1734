package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.CloseCode;

/** The answer to a connection attempt: a seat, or the close code that refuses it. */
public sealed interface Admission {

    record Admitted(Session session) implements Admission {
    }

    record Rejected(CloseCode code) implements Admission {
    }
}
