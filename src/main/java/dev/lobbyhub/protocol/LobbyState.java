package dev.lobbyhub.protocol;

import java.util.Map;

/**
 * A lobby's state as members see it (SPEC §12): its owner, settings, {@code version} (one more per
 * update) and each member's properties. Properties are compact JSON object text, written into frames
 * as they are; {@code memberProperties} leaves out members without any.
 */
public record LobbyState(String owner, boolean locked, String visibility, int maxMembers, String properties,
        long version, Map<String, String> memberProperties) {

    /** A lobby's properties before any update. */
    public static final String NO_PROPERTIES = "{}";

    /** The state of a lobby whose first member, {@code owner}, just took a seat. */
    public static LobbyState fresh(String owner, int maxMembers) {
        return new LobbyState(owner, false, Visibility.PRIVATE, maxMembers, NO_PROPERTIES, 0, Map.of());
    }
}
