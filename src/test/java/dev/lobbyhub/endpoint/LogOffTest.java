package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** {@code recovery.history-size=0}: frames as before the lobby log, no offset, ack, epoch or recovery (SPEC §11). */
@QuarkusTest
@TestProfile(LogOffTest.NoLog.class)
class LogOffTest {

    public static class NoLog implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.recovery.history-size", "0");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void framesCarryNoOffsetAndNothingIsRecoveredOrAcknowledged() {
        String lobby = Tokens.unique("off");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.join(base, lobby, Tokens.valid(alice))) {
            JsonObject welcome = a.expect("welcome");
            assertEquals(List.of("type", "connection_id", "user_id", "lobby", "members", "ping_interval_ms",
                    "stale_after_ms", "max_message_bytes", "away", "reconnect_grace_ms", "owner", "locked", "visibility",
                    "max_members", "properties", "version", "member_properties"), List.copyOf(welcome.fieldNames()),
                    "no epoch, offset or recovered with the log off; the lobby state is there");
            try (TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
                assertEquals(new JsonObject().put("type", "member_joined").put("user_id", bob), a.next());
                b.send(new JsonObject().put("type", "lobby_message").put("data", 1).put("id", "m1"));
                JsonObject message = a.expect("lobby_message");
                assertEquals(List.of("type", "from", "data", "ts"), List.copyOf(message.fieldNames()));
                b.send(new JsonObject().put("type", "ping").put("id", "fence"));
                assertEquals("pong", b.next().getString("type"), "no ack before the pong");

                try (TestSocket again = TestSocket.connect(base,
                        "/ws/" + lobby + "?token=" + Tokens.valid(alice) + "&since=0&epoch=x")) {
                    JsonObject second = again.expect("welcome");
                    assertEquals(Set.of(bob, alice), Set.copyOf(second.getJsonArray("members").getList()));
                    assertEquals(null, second.getValue("recovered"));
                    assertEquals(null, second.getValue("epoch"));
                }
            }
        }
    }
}
