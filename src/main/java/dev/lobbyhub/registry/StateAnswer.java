package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.LobbyState;

/** The answer to a change of a lobby's state (SPEC §12): the state after it, or why nothing changed. */
public sealed interface StateAnswer {

    /** Done; {@code state} is the lobby's right after the change. */
    record Changed(LobbyState state) implements StateAnswer {
    }

    /** Nothing changed. */
    record Refused(Refusal why) implements StateAnswer {
    }

    enum Refusal {
        /** The member asking does not own the lobby. */
        NOT_OWNER,
        /** {@code expected_version} is not the lobby's version. */
        VERSION_CONFLICT,
        /** The user named holds no seat in the lobby. */
        NOT_MEMBER,
        /** Nobody holds a seat in the lobby: it has no state. */
        NO_LOBBY,
        /** Properties over their configured limit, serialized. */
        PROPERTIES_TOO_LARGE,
        /** {@code max_members} over {@code max-per-lobby}. */
        MAX_MEMBERS_OUT_OF_RANGE
    }
}
