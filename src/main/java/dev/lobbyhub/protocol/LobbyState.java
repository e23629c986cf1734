package dev.lobbyhub.protocol;

import java.util.Map;

/**
 * A lobby's state as members see it (SPEC §12): its owner, settings, {@code version} (one more per
 * update) and each member's properties. Properties are compact JSON object text, written into frames
 * as they are; {@code memberProperties} leaves out members without any. {@code owner} is null only
 * for a lobby a game backend made without one that nobody has taken a seat in yet (SPEC §13);
 * {@code reserved} counts the seats reserved and not yet taken, which members do not see.
 */
public record LobbyState(String owner, boolean locked, String visibility, int maxMembers, String properties,
        long version, Map<String, String> memberProperties, int reserved) {

    public LobbyState(String owner, boolean locked, String visibility, int maxMembers, String properties,
            long version, Map<String, String> memberProperties) {
        this(owner, locked, visibility, maxMembers, properties, version, memberProperties, 0);
    }

    /** A lobby's properties before any update. */
    public static final String NO_PROPERTIES = "{}";

    /** The state of a lobby whose first member, {@code owner}, just took a seat. */
    public static LobbyState fresh(String owner, int maxMembers) {
        return new LobbyState(owner, false, Visibility.PRIVATE, maxMembers, NO_PROPERTIES, 0, Map.of());
    }
}
