package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** {@code on-duplicate=reject}: the second connection of a user is closed 4011, the first is untouched. */
@QuarkusTest
@TestProfile(RejectDuplicatePolicyTest.RejectDuplicates.class)
class RejectDuplicatePolicyTest {

    public static class RejectDuplicates implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.users.on-duplicate", "reject");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void secondConnectionOfAUserIsRejected() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice))) {
            try (TestSocket second = TestSocket.join(base, lobby, Tokens.valid(alice))) {
                second.expectRejected(4011, "duplicate_session");
            }
            try (TestSocket elsewhere = TestSocket.join(base, Tokens.unique("other"), Tokens.valid(alice))) {
                elsewhere.expectRejected(4011, "duplicate_session");
            }
            first.send(new JsonObject().put("type", "ping").put("id", "still-open"));
            assertEquals("still-open", first.expect("pong").getString("id"));
        }
    }

    @Test
    void userMayConnectAgainOnceTheFirstConnectionIsGone() {
        String lobby = Tokens.unique("lobby");
        String alice = Tokens.unique("alice");
        try (TestSocket watcher = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("w")))) {
            TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
            watcher.expect("member_joined");
            first.close();
            assertEquals("left", watcher.expect("member_left").getString("reason"));
            try (TestSocket again = TestSocket.join(base, lobby, Tokens.valid(alice))) {
                again.expect("welcome");
            }
        }
    }
}
