package dev.lobbyhub.metrics;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.json.JsonObject;

/** SPEC §8: every lobbyhub meter is published at /q/metrics, none tagged by lobby or user. */
@QuarkusTest
public class MetricsEndpointTest {

    @TestHTTPResource("/")
    URI base;

    /** One sample line: {@code name{label="value",...} number}. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    public static List<Sample> scrape() {
        Response response = given().header("Accept", "text/plain").get("/q/metrics");
        assertEquals(200, response.statusCode());
        List<Sample> samples = new ArrayList<>();
        for (String line : response.asString().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line.trim());
            assertTrue(m.matches(), () -> "unparsable metrics line: " + line);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return samples;
    }

    /** The value of the series with this name and exactly these labels; -1 when absent. */
    public static double value(List<Sample> samples, String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels))
                .mapToDouble(Sample::value).findFirst().orElse(-1);
    }

    static boolean has(List<Sample> samples, String name, String label) {
        return samples.stream().anyMatch(s -> s.name().equals(name) && (label == null || s.labels().containsKey(label)));
    }

    @Test
    void everySpecMetricIsPublishedAndCountsActivity() {
        List<Sample> before = scrape();
        String lobby = Tokens.unique("metrics");
        String alice = Tokens.unique("alice");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(alice));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(bob))) {
            a.expect("member_joined");
            a.send(new JsonObject().put("type", "lobby_message").put("data", "hello"));
            b.expect("lobby_message");
            try (TestSocket bad = TestSocket.join(base, Tokens.unique("metrics"), "not-a-jwt")) {
                bad.expectRejected(4001, "unauthorized");
            }
            // With both clients open: the gauges count them; pongs feed the RTT timer.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                List<Sample> now = scrape();
                assertTrue(value(now, "lobbyhub_connections_active", Map.of()) >= 2);
                assertTrue(value(now, "lobbyhub_lobbies_active", Map.of()) >= 1);
                assertTrue(value(now, "lobbyhub_ping_rtt_seconds_count", Map.of()) >= 1);
                assertTrue(value(now, "lobbyhub_sweep_duration_seconds_count", Map.of()) >= 1);
            });
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Sample> after = scrape();
            assertIncreased(before, after, "lobbyhub_connections_accepted_total", Map.of(), 2);
            assertIncreased(before, after, "lobbyhub_connections_rejected_total", Map.of("reason", "unauthorized"), 1);
            assertIncreased(before, after, "lobbyhub_connections_closed_total", Map.of("reason", "left"), 2);
            assertIncreased(before, after, "lobbyhub_messages_received_total", Map.of("type", "lobby_message"), 1);
            assertIncreased(before, after, "lobbyhub_messages_delivered_total", Map.of(), 1);
        });
        List<Sample> after = scrape();
        for (String[] meter : new String[][] {
                { "lobbyhub_connections_active", null },
                { "lobbyhub_lobbies_active", null },
                { "lobbyhub_connections_accepted_total", null },
                { "lobbyhub_connections_rejected_total", "reason" },
                { "lobbyhub_connections_closed_total", "reason" },
                { "lobbyhub_messages_received_total", "type" },
                { "lobbyhub_messages_delivered_total", null },
                { "lobbyhub_messages_dropped_total", "reason" },
                { "lobbyhub_ping_rtt_seconds_count", null },
                { "lobbyhub_ping_rtt_seconds_sum", null },
                { "lobbyhub_ping_rtt_seconds_bucket", "le" },
                { "lobbyhub_sweep_duration_seconds_count", null },
                { "lobbyhub_sweep_duration_seconds_sum", null },
                { "lobbyhub_sweep_duration_seconds_bucket", "le" },
                { "lobbyhub_connections_max", null },
                { "lobbyhub_ready", null } }) {
            assertTrue(has(after, meter[0], meter[1]), () -> "missing " + meter[0] + (meter[1] == null ? "" : "{" + meter[1] + "}"));
        }
        // The closed reasons are the member_left reasons of SPEC §3.
        for (String reason : new String[] { "left", "dropped", "stale", "kicked", "replaced", "shutdown", "rate_limited",
                "slow_consumer", "error" }) {
            assertTrue(value(after, "lobbyhub_connections_closed_total", Map.of("reason", reason)) >= 0,
                    () -> "no closed_total{reason=" + reason + "}");
        }
        for (Sample sample : after) {
            if (!sample.name().startsWith("lobbyhub_")) {
                continue;
            }
            for (Map.Entry<String, String> label : sample.labels().entrySet()) {
                String key = label.getKey().toLowerCase();
                assertFalse(key.contains("lobby") || key.contains("user"), () -> "per-lobby/user label on " + sample);
                assertFalse(label.getValue().equals(lobby) || label.getValue().equals(alice) || label.getValue().equals(bob),
                        () -> "lobby or user name as a label value on " + sample);
            }
        }
    }

    private static void assertIncreased(List<Sample> before, List<Sample> after, String name, Map<String, String> labels,
            double by) {
        double then = Math.max(0, value(before, name, labels));
        double now = value(after, name, labels);
        assertTrue(now >= then + by, () -> name + labels + " went from " + then + " to " + now + ", expected +" + by);
    }

    @Test
    void metricsEndpointAnswersPrometheusText() {
        Response response = given().header("Accept", "text/plain").get("/q/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.contentType().startsWith("text/plain"), response.contentType());
        String text = response.asString();
        assertTrue(text.contains("# TYPE lobbyhub_connections_active gauge"), "gauge type line");
        assertTrue(text.contains("# TYPE lobbyhub_connections_accepted_total counter")
                || text.contains("# TYPE lobbyhub_connections_accepted counter"), "counter type line");
    }
}
