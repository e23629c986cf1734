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

/** The node limit: connection number max+1 is closed 4002 {@code server_full}, whatever lobby it asks for. */
@QuarkusTest
@TestProfile(ServerFullTest.TwoConnections.class)
public class ServerFullTest {

    public static class TwoConnections implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.max-connections", "2");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void connectionOverTheNodeLimitIsRefused() {
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("one"), Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, Tokens.unique("two"), Tokens.valid(Tokens.unique("b")))) {
            try (TestSocket c = TestSocket.join(base, Tokens.unique("three"), Tokens.valid(Tokens.unique("c")))) {
                c.expectRejected(4002, "server_full");
            }
        }
    }

    @Test
    void replacingYourOwnConnectionIsNotRefusedWhenFull() {
        String alice = Tokens.unique("alice");
        try (TestSocket a = TestSocket.joinWelcomed(base, Tokens.unique("one"), Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, Tokens.unique("two"), Tokens.valid(Tokens.unique("b")));
                TestSocket again = TestSocket.join(base, Tokens.unique("three"), Tokens.valid(alice))) {
            assertEquals(alice, again.expect("welcome").getString("user_id"));
            assertEquals(new TestSocket.Close(4005, "replaced"), a.awaitClose());
        }
    }
}
