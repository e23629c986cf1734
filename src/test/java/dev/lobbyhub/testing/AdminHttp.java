package dev.lobbyhub.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.vertx.core.json.JsonObject;

/**
 * The admin API (SPEC §7) of a service that runs outside the test JVM, as a game backend calls it:
 * every request carries {@code Authorization: Bearer <key>}, bodies are {@code application/json}.
 * Every call is bounded; an answer is returned whatever its status, for the test to judge.
 */
public final class AdminHttp {

    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TestSocket.WAIT).build();

    /** One answer: status and body text. */
    public record Answer(int status, String body) {

        /** The body as a JSON object; fails when the status is not {@code expected}. */
        public JsonObject json(int expected) {
            assertEquals(expected, status, () -> "status " + status + ", body " + body);
            return new JsonObject(body);
        }

        /** The body of a 200 answer as a JSON object. */
        public JsonObject ok() {
            return json(200);
        }
    }

    private final String key;

    public AdminHttp(String key) {
        this.key = key;
    }

    public Answer get(URI base, String path) {
        return send(request(base, path).GET());
    }

    public Answer post(URI base, String path, JsonObject body) {
        return send(request(base, path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8)));
    }

    public Answer patch(URI base, String path, JsonObject body) {
        return send(request(base, path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8)));
    }

    public Answer put(URI base, String path, JsonObject body) {
        return send(request(base, path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8)));
    }

    /** A POST without a body, as {@code /users/{id}/ping} takes it. */
    public Answer post(URI base, String path) {
        return send(request(base, path).POST(HttpRequest.BodyPublishers.noBody()));
    }

    public Answer delete(URI base, String path) {
        return send(request(base, path).DELETE());
    }

    /** One path segment, percent-encoded (a space as {@code %20}, never {@code +}). */
    public static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(URI base, String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return HttpRequest.newBuilder(base.resolve(relative)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + key).header("Accept", "application/json");
    }

    private static Answer send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        try {
            HttpResponse<String> response = HTTP.send(built, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new AssertionError(built.method() + " " + built.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
