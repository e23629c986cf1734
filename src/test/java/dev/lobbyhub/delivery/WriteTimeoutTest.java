package dev.lobbyhub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/**
 * A member that stops reading is closed 4009 once it has accepted no bytes for {@code write-timeout},
 * although its backlog stays far under {@code max-outbound-bytes}: the flood stops long before that
 * limit, so only the time rule can close it.
 */
@QuarkusTest
@TestProfile(WriteTimeoutTest.LargeBacklogShortTimeout.class)
class WriteTimeoutTest {

    static final long MAX_OUTBOUND_BYTES = 512L << 20;

    public static class LargeBacklogShortTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A stalled reader answers no pings either: stale-after is long so that only the write timeout can close it.
            return Map.of("lobbyhub.limits.max-outbound-bytes", Long.toString(MAX_OUTBOUND_BYTES),
                    "lobbyhub.limits.write-timeout", "2s",
                    "lobbyhub.limits.messages-per-second", "100000", "lobbyhub.limits.burst", "100000",
                    "lobbyhub.health.stale-after", "10m");
        }
    }

    /** Each relayed message is a little over 60 KB, under the 64 KiB inbound limit. */
    private static final String PAYLOAD = "w".repeat(60_000);
    /** Well above what loopback socket buffers hold (a few MB), well under max-outbound-bytes. */
    private static final int MESSAGES = 600;

    @TestHTTPResource("/")
    URI base;

    @Test
    void memberThatAcceptsNoBytesIsClosed4009AfterTheWriteTimeout() {
        String lobby = Tokens.unique("stall");
        String slowId = Tokens.unique("slow");
        try (TestSocket sender = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("sender")));
                TestSocket healthy = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("healthy")));
                TestSocket slow = TestSocket.joinWelcomed(base, lobby, Tokens.valid(slowId))) {
            sender.expect("member_joined");
            sender.expect("member_joined");
            healthy.expect("member_joined");
            slow.pauseReading();
            // Paced by the healthy member, so only the paused one falls behind. On a slow machine the
            // flood may outlast the write timeout: the close then comes during it, which is fine too.
            JsonObject expectedLeft = new JsonObject().put("type", "member_left").put("user_id", slowId)
                    .put("reason", "slow_consumer");
            long sentBytes = 0;
            boolean slowLeft = false;
            for (int n = 0; n < MESSAGES && !slowLeft; n++) {
                String message = new JsonObject().put("type", "lobby_message")
                        .put("data", new JsonObject().put("n", n).put("pad", PAYLOAD)).encode();
                sender.send(message);
                sentBytes += message.length();
                JsonObject frame = healthy.next();
                if ("member_left".equals(frame.getString("type"))) {
                    assertEquals(expectedLeft, Frames.withoutOffset(frame));
                    slowLeft = true;
                    frame = healthy.next();
                }
                assertEquals(n, frame.getJsonObject("data").getInteger("n"));
            }
            assertTrue(sentBytes < MAX_OUTBOUND_BYTES / 4, "the byte limit must stay out of reach");

            // Once nothing more is sent the backlog cannot grow, and still the member is closed.
            if (!slowLeft) {
                assertEquals(expectedLeft, Frames.withoutOffset(healthy.expect("member_left")));
            }
            assertEquals("slow_consumer", sender.expect("member_left").getString("reason"));

            slow.resumeReading();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(slow::isClosed);
            assertEquals(new TestSocket.Close(4009, "slow_consumer"), slow.awaitClose());

            // The others were not disturbed.
            sender.send(new JsonObject().put("type", "lobby_message").put("data", "after"));
            assertEquals("after", healthy.expect("lobby_message").getString("data"));
            assertFalse(healthy.isClosed());
        }
    }
}
