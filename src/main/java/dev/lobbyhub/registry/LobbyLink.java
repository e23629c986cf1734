package dev.lobbyhub.registry;

/**
 * Carries what members send to the lobby's members on other nodes (SPEC §9). The sender's node
 * has handed the frame to its own members already; a link sends it on once, whatever the number
 * of members. Frames of one sender reach each other node in the order they were given. On a
 * single node there is nobody else to reach.
 */
public interface LobbyLink {

    /** A {@code lobby_message} frame for the lobby's members on other nodes. */
    void toLobby(String lobby, String frame);

    /**
     * A {@code direct_message} frame for a member of the lobby on another node; false when no such
     * member is seated in the lobby (as far as this node has heard).
     */
    boolean toMember(String lobby, String userId, String frame);
}
