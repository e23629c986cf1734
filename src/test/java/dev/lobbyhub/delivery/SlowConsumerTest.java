package dev.lobbyhub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
 * A member that stops reading is closed 4009 once 256 KiB back up; the others keep receiving everything.
 * How much the kernel buffers before the server sees the backlog depends on the host, so the test
 * floods until the close happens, up to a cap far above any socket buffer.
 */
@QuarkusTest
@TestProfile(SlowConsumerTest.SmallBacklog.class)
class SlowConsumerTest {

    static final int MAX_OUTBOUND_BYTES = 262_144;

    public static class SmallBacklog implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // A stalled reader answers no pings either: stale-after is long so that only the backlog can close it.
            return Map.of("lobbyhub.limits.max-outbound-bytes", Integer.toString(MAX_OUTBOUND_BYTES),
                    "lobbyhub.limits.messages-per-second", "100000", "lobbyhub.limits.burst", "100000",
                    "lobbyhub.health.stale-after", "10m");
        }
    }

    private static final int BATCH = 4;
    /** Each relayed message is a little over 60 KB, under the 64 KiB inbound limit. */
    private static final String PAYLOAD = "z".repeat(60_000);
    private static final long MAX_FLOOD_BYTES = 512L << 20;
    private static final Duration MAX_FLOOD_TIME = Duration.ofMinutes(2);

    @TestHTTPResource("/")
    URI base;

    @Test
    void memberThatStopsReadingIsClosed4009AndOthersGetEverything() {
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
            // The healthy member hears of the close as member_left, in between the messages.
            long deadline = System.nanoTime() + MAX_FLOOD_TIME.toNanos();
            long sentBytes = 0;
            int sent = 0;
            int expected = 0;
            boolean slowLeft = false;
            while (!slowLeft) {
                if (sentBytes > MAX_FLOOD_BYTES || System.nanoTime() > deadline) {
                    fail("no slow_consumer close after " + sent + " messages (" + sentBytes + " bytes)");
                }
                for (int i = 0; i < BATCH; i++, sent++) {
                    String message = new JsonObject().put("type", "lobby_message")
                            .put("data", new JsonObject().put("n", sent).put("pad", PAYLOAD)).encode();
                    sender.send(message);
                    sentBytes += message.length();
                }
                while (expected < sent) {
                    JsonObject frame = healthy.next();
                    if ("member_left".equals(frame.getString("type"))) {
                        assertEquals(new JsonObject().put("type", "member_left").put("user_id", slowId)
                                .put("reason", "slow_consumer"), Frames.withoutOffset(frame));
                        slowLeft = true;
                    } else {
                        assertEquals(expected, frame.getJsonObject("data").getInteger("n"));
                        expected++;
                    }
                }
            }
            // Resume at once: the close frame waits behind the frames already in the socket.
            slow.resumeReading();
            assertTrue(sentBytes > MAX_OUTBOUND_BYTES, "closed after only " + sentBytes + " bytes");
            assertEquals("slow_consumer", sender.expectSkipping("member_left", m -> false).getString("reason"));

            Awaitility.await().atMost(Duration.ofSeconds(30)).until(slow::isClosed);
            assertEquals(new TestSocket.Close(4009, "slow_consumer"), slow.awaitClose());
            // What reached the slow member before the close is the start of the flood, in order.
            for (int n = 0; slow.pending() > 0; n++) {
                JsonObject frame = slow.next();
                assertEquals("lobby_message", frame.getString("type"), () -> "unexpected " + frame.getString("type"));
                assertEquals(n, frame.getJsonObject("data").getInteger("n"));
            }

            // The others were not disturbed: a later message still reaches the healthy member, next.
            sender.send(new JsonObject().put("type", "lobby_message").put("data", "after"));
            assertEquals("after", healthy.expect("lobby_message").getString("data"));
            assertFalse(healthy.isClosed());
            assertFalse(sender.isClosed());
        }
    }
}
