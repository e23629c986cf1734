package dev.lobbyhub.auth;

import java.util.Optional;
import java.util.Set;

/**
 * Who a verified token speaks for.
 *
 * @param userId the {@code sub} claim, 1 to 128 characters
 * @param name the optional {@code name} claim, a display name; null when absent
 * @param lobbies the optional {@code lobbies} claim; empty when the token may join any lobby
 */
public record Identity(String userId, String name, Optional<Set<String>> lobbies) {

    /** Whether the token lets its holder into this lobby. */
    public boolean mayJoin(String lobby) {
        return lobbies.map(allowed -> allowed.contains(lobby)).orElse(true);
    }
}
