package dev.lobbyhub.health;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;

/** SPEC §14's handshake rate on a node that takes 2 new connections per second, 3 at once. */
@QuarkusTest
@TestProfile(HandshakeRateTest.SlowHandshakes.class)
class HandshakeRateTest {

    public static class SlowHandshakes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lobbyhub.limits.handshakes-per-second", "2", "lobbyhub.limits.handshake-burst", "3");
        }
    }

    private static final Pattern BUSY = Pattern.compile("server_busy:(\\d+)");

    @TestHTTPResource("/")
    URI base;

    /** Connects with this token; answers the hint of a {@code server_busy} refusal, or -1 for any other outcome. */
    private long knock(String lobby, String token, List<TestSocket> open) {
        TestSocket socket = TestSocket.join(base, lobby, token);
        JsonObject first = socket.nextOrClose();
        if (first != null) {
            assertEquals("welcome", first.getString("type"));
            open.add(socket);
            return -1;
        }
        TestSocket.Close close = socket.awaitClose();
        Matcher busy = BUSY.matcher(close.reason());
        if (close.code() == 1013 && busy.matches()) {
            return Long.parseLong(busy.group(1));
        }
        assertEquals(4001, close.code(), close::toString);
        return -1;
    }

    @Test
    void overTheRateAConnectionIsRefusedServerBusyBeforeItsTokenIsChecked() {
        String lobby = Tokens.unique("busy");
        List<TestSocket> open = new ArrayList<>();
        try {
            long hint = -1;
            for (int i = 0; i < 20 && hint < 0; i++) {
                // A bad token: refused 4001 while the bucket has tokens, server_busy once it is empty.
                hint = knock(lobby, "not-a-token", open);
            }
            assertTrue(hint >= 100 && hint <= 30_000, "server_busy with a hint between 100 ms and 30 s: " + hint);
            assertEquals(List.of(), open);
        } finally {
            open.forEach(TestSocket::close);
        }
        String metrics = given().accept("text/plain").get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher counted = Pattern.compile("lobbyhub_connections_rejected_total\\{[^}]*reason=\"server_busy\"[^}]*} ([0-9.E]+)")
                .matcher(metrics);
        assertTrue(counted.find() && Double.parseDouble(counted.group(1)) >= 1, "counted by reason");
    }

    @Test
    void refusedClientsAreToldToComeBackOneAfterAnother() {
        String lobby = Tokens.unique("busy");
        List<TestSocket> open = new ArrayList<>();
        List<Long> hints = new ArrayList<>();
        try {
            for (int i = 0; i < 30 && hints.size() < 8; i++) {
                long hint = knock(lobby, Tokens.valid(Tokens.unique("p")), open);
                if (hint >= 0) {
                    hints.add(hint);
                }
            }
        } finally {
            open.forEach(TestSocket::close);
        }
        assertEquals(8, hints.size(), "refused: " + hints);
        // One return slot every half second (2 per second): eight refusals in a row span at least 2.5 s of slots.
        long spread = hints.stream().mapToLong(Long::longValue).max().orElseThrow()
                - hints.stream().mapToLong(Long::longValue).min().orElseThrow();
        assertTrue(spread >= 2_500, "hints " + hints);
        assertTrue(hints.stream().allMatch(h -> h >= 100 && h <= 30_000), "hints " + hints);
    }
}
