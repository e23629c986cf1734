package dev.lobbyhub.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * A server for the lobby directory and quick join (SPEC §13): lobbies of 3, reservations that last
 * 3 s (so one can run out within a test), seats held as in {@link HeldSeats}.
 */
public class Reservations implements QuarkusTestProfile {

    public static final long TTL_MS = 3000;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("lobbyhub.users.reconnect-grace", HeldSeats.GRACE_MS + "ms", "lobbyhub.limits.max-per-lobby", "3",
                "lobbyhub.users.reservation-ttl", TTL_MS + "ms");
    }
}
