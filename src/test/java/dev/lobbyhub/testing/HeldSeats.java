package dev.lobbyhub.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * A server that holds seats (SPEC §10) for a grace just over the test drain period (1 s) + 5 s,
 * with lobbies of 3 so that one can be filled. The other tests run with the grace at 0.
 */
public class HeldSeats implements QuarkusTestProfile {

    public static final long GRACE_MS = 7000;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("lobbyhub.users.reconnect-grace", GRACE_MS + "ms", "lobbyhub.limits.max-per-lobby", "3");
    }
}
