package dev.lobbyhub.delivery;

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

/** A member that stops reading is closed 4009 once 256 KiB back up; the others keep receiving everything. */
@QuarkusTest
@TestProfile(SlowConsumerTest.SmallBacklog.class)
class SlowConsumerTest {

    public static class SmallBacklog implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.max-outbound-bytes", "262144",
                    "lobbyhub.limits.messages-per-second", "100000", "lobbyhub.limits.burst", "100000");
        }
    }

    private static final int MESSAGES = 600;
    private static final int BATCH = 4;
    private static final String PAYLOAD = "z".repeat(16_000);

    @TestHTTPResource("/")
    URI base;

    @Test
    void memberThatStopsReadingIsClosedAndOthersGetEverything() {
        String lobby = Tokens.unique("flood");
        String slowId = Tokens.unique("slow");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("sender")));
                TestSocket healthy = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("healthy")));
                TestSocket slow = TestSocket.joinWelcomed(base, lobby, Tokens.valid(slowId))) {
            sender.expect("member_joined");
            sender.expect("member_joined");
            healthy.expect("member_joined");
            slow.pauseReading();
            // The sender waits for the healthy member after each batch, so only the paused one falls behind.
            int expected = 0;
            boolean slowLeft = false;
            for (int sent = 0; sent < MESSAGES; sent += BATCH) {
                for (int i = sent; i < sent + BATCH; i++) {
                    sender.send(new JsonObject().put("type", "lobby_message")
                            .put("data", new JsonObject().put("n", i).put("pad", PAYLOAD)));
                }
                while (expected < sent + BATCH) {
                    JsonObject frame = healthy.next();
                    if ("member_left".equals(frame.getString("type"))) {
                        assertEquals(new JsonObject().put("type", "member_left").put("user_id", slowId)
                                .put("reason", "slow_consumer"), frame);
                        slowLeft = true;
                    } else {
                        assertEquals(expected, frame.getJsonObject("data").getInteger("n"));
                        expected++;
                    }
                }
            }
            if (!slowLeft) {
                assertEquals("member_left", healthy.next().getString("type"));
            }
            assertEquals("slow_consumer", sender.expectSkipping("member_left", m -> false).getString("reason"));
            slow.resumeReading();
            assertEquals(new TestSocket.Close(4009, "slow_consumer"), slow.awaitClose());
        }
    }
}
