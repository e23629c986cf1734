package dev.lobbyhub.admin;

import static dev.lobbyhub.admin.AdminQueriesTest.admin;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.metrics.MetricsEndpointTest.Sample;
import dev.lobbyhub.metrics.MetricsEndpointTest;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;

/**
 * SPEC §8: HTTP metrics carry route templates, never raw paths. Junk under {@code /api/v1} (unknown paths, user ids,
 * lobby codes, wrong keys, wrong methods) must neither show up in a {@code uri} tag nor use up the tag budget, after
 * which routes requested for the first time would get no metric at all.
 */
@QuarkusTest
@TestProfile(AdminMetricsCardinalityTest.FreshRegistry.class)
class AdminMetricsCardinalityTest {

    static final String REQUESTS = "http_server_requests_seconds_count";

    /** Its own application, so the routes checked at the end are requested there for the first time. */
    public static class FreshRegistry implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The default, pinned: the junk below is more than this many distinct paths.
            return Map.of("quarkus.micrometer.binder.http-server.max-uri-tags", "100");
        }
    }

    @Test
    void junkPathsNeverBecomeUriTagsAndRealRoutesKeepTheirMetrics() {
        String marker = Tokens.unique("junk").replace("-", "");
        for (int i = 0; i < 25; i++) {
            String junk = marker + "x" + i;
            assertEquals(401, given().get("/api/v1/" + junk + "/deeper").statusCode());
            assertEquals(404, admin().get("/api/v1/" + junk).statusCode());
            assertEquals(401, given().get("/api/v1/users/{id}", junk).statusCode());
            assertEquals(401, wrongKey().get("/api/v1/lobbies/{code}", junk).statusCode());
            assertEquals(405, admin().put("/api/v1/users/{id}", junk).statusCode());
            assertEquals(401, given().patch("/api/v1/users/{id}/connection", junk).statusCode());
        }

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Sample> samples = MetricsEndpointTest.scrape();
            assertTrue(MetricsEndpointTest.value(samples, REQUESTS,
                    tags("GET", "/api/v1/users/{id}", 401, "CLIENT_ERROR")) >= 25, "401s are counted under the template");
            for (Sample sample : samples) {
                sample.labels().values().forEach(value -> assertFalse(value.contains(marker), () -> "raw path in " + sample));
            }
            Set<String> uris = uris(samples);
            assertTrue(uris.size() < 30, () -> "uri tags grow with junk: " + uris);
        });

        // Routes this application has not served yet still get their meters, under their templates.
        assertEquals(200, admin().get("/api/v1/stats").statusCode());
        assertEquals(200, admin().contentType("application/json").body("{\"data\":1}")
                .post("/api/v1/lobbies/{code}/messages", Tokens.unique("fresh")).statusCode());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Sample> samples = MetricsEndpointTest.scrape();
            assertEquals(1, MetricsEndpointTest.value(samples, REQUESTS, tags("GET", "/api/v1/stats", 200, "SUCCESS")));
            assertEquals(1, MetricsEndpointTest.value(samples, REQUESTS,
                    tags("POST", "/api/v1/lobbies/{code}/messages", 200, "SUCCESS")));
        });
    }

    private static RequestSpecification wrongKey() {
        return given().header("Authorization", "Bearer wrong");
    }

    private static Map<String, String> tags(String method, String uri, int status, String outcome) {
        return Map.of("method", method, "uri", uri, "status", Integer.toString(status), "outcome", outcome);
    }

    private static Set<String> uris(List<Sample> samples) {
        Set<String> uris = new TreeSet<>();
        samples.stream().filter(s -> s.name().equals(REQUESTS)).forEach(s -> uris.add(s.labels().get("uri")));
        return uris;
    }
}
