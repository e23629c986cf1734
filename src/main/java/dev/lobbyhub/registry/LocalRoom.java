package dev.lobbyhub.registry;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.PropertyMatch;
import dev.lobbyhub.protocol.Visibility;

/**
 * The state of one lobby on a single node (SPEC §12), kept by {@link LocalSeatStore} under its lock
 * for as long as the lobby has a seat: owner, settings, version, members' properties, the users
 * kicked out of it and the seats reserved in it (SPEC §13).
 */
final class LocalRoom {

    String owner;
    private boolean locked;
    private String visibility = Visibility.PRIVATE;
    private int maxMembers;
    private String properties = LobbyState.NO_PROPERTIES;
    private long version;
    private final Map<String, String> memberProperties = new LinkedHashMap<>();
    private final Set<String> kicked = new HashSet<>();
    /** The properties' matchable tokens (SPEC §13). */
    private Map<String, String> tokens = Map.of();
    /** Reserved seats: user id to the reservation's end (epoch ms), in reserving order. */
    final LinkedHashMap<String, Long> reserved = new LinkedHashMap<>();
    /** A lobby a game backend made without an owner is kept without seats until then (epoch ms). */
    long keptUntil;

    LocalRoom(String owner, int maxMembers) {
        this.owner = owner;
        this.maxMembers = maxMembers;
    }

    /** A lobby made for quick join or by a game backend (SPEC §13). */
    LocalRoom(String owner, String visibility, int maxMembers, String properties, Map<String, String> tokens) {
        this(owner, maxMembers);
        this.visibility = visibility;
        this.properties = properties;
        this.tokens = tokens;
    }

    String visibility() {
        return visibility;
    }

    boolean isPublic() {
        return Visibility.PUBLIC.equals(visibility);
    }

    String properties() {
        return properties;
    }

    Map<String, String> tokens() {
        return tokens;
    }

    int maxMembers() {
        return maxMembers;
    }

    boolean locked() {
        return locked;
    }

    boolean keepsOut(String userId) {
        return kicked.contains(userId);
    }

    void kickOut(String userId) {
        kicked.add(userId);
    }

    long version() {
        return version;
    }

    /** Applies an update whose version check passed: one more version. */
    void apply(LobbyUpdate update) {
        if (update.locked() != null) {
            locked = update.locked();
        }
        if (update.visibility() != null) {
            visibility = update.visibility();
        }
        if (update.maxMembers() != null) {
            maxMembers = update.maxMembers().intValue();
        }
        if (update.properties() != null) {
            properties = update.properties();
            tokens = PropertyMatch.tokens(properties);
        }
        version++;
    }

    /** A member's properties; an empty object leaves it without any. */
    void memberProperties(String userId, String json) {
        if (LobbyState.NO_PROPERTIES.equals(json)) {
            memberProperties.remove(userId);
        } else {
            memberProperties.put(userId, json);
        }
    }

    /** The member's seat ended: its properties go with it. */
    void seatEnded(String userId) {
        memberProperties.remove(userId);
    }

    LobbyState snapshot() {
        return new LobbyState(owner, locked, visibility, maxMembers, properties, version,
                memberProperties.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(memberProperties)),
                reserved.size());
    }
}
