package dev.lobbyhub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** A bucket of 10 refilled at 1 message a second, so a test can overrun it at will. */
@QuarkusTest
@TestProfile(RateLimitTest.SmallBucket.class)
class RateLimitTest {

    public static class SmallBucket implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.messages-per-second", "1", "lobbyhub.limits.burst", "10");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void messagesOverTheBucketAreDroppedWithOneError() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket flooder = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("f")));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("o")))) {
            flooder.expect("member_joined");
            for (int i = 0; i < 15; i++) {
                flooder.send(new JsonObject().put("type", "lobby_message").put("data", i).put("id", "m" + i));
            }
            // The bucket holds 10 (maybe 11 with a refill): the rest is dropped, the sender told once.
            JsonObject error = flooder.expect("error");
            assertEquals("rate_limited", error.getString("code"));
            int relayed = 0;
            while (relayed < 10) {
                assertEquals(relayed, other.expect("lobby_message").getInteger("data"));
                relayed++;
            }
            // Once the bucket refills a message goes through again, and 10..14 were never relayed.
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
                flooder.send(new JsonObject().put("type", "lobby_message").put("data", "probe"));
                return other.pending() > 0;
            });
            assertEquals("probe", other.expect("lobby_message").getString("data"));
            assertEquals(false, flooder.isClosed());
        }
    }

    @Test
    void theAnswerToTheServersPingIsNotChargedButARepeatIs() {
        try (TestSocket client = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("c")))
                .stopAnsweringPings()) {
            long timestamp = client.nextHealthPing().getLong("timestamp");
            for (int i = 0; i < 10; i++) {
                client.send(new JsonObject().put("type", "ping").put("id", "p" + i));
            }
            for (int i = 0; i < 10; i++) {
                assertEquals("p" + i, client.expect("pong").getString("id"));
            }
            // The bucket is empty now: the answer still goes through, the same answer again does not.
            client.send(new JsonObject().put("type", "health_pong").put("timestamp", timestamp).put("id", "answer"));
            client.send(new JsonObject().put("type", "health_pong").put("timestamp", timestamp).put("id", "again"));
            JsonObject error = client.expect("error");
            assertEquals("rate_limited", error.getString("code"));
            assertEquals("again", error.getString("ref"));
        }
    }

    @Test
    void keepsFloodingIsClosedWith4008AndTheLobbyIsTold() {
        String lobby = Tokens.unique("lobby");
        String flooderId = Tokens.unique("f");
        try (TestSocket flooder = TestSocket.joinWelcomed(base, lobby, Tokens.valid(flooderId));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("o")))) {
            flooder.expect("member_joined");
            for (int i = 0; i < 40; i++) {
                flooder.send(new JsonObject().put("type", "ping"));
            }
            assertEquals(new TestSocket.Close(4008, "rate_limited"), flooder.awaitClose());
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", flooderId)
                    .put("reason", "rate_limited"), other.expectSkipping("member_left", m -> false));
        }
    }
}
