package dev.lobbyhub.http;

import jakarta.enterprise.event.Observes;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * A request that no route answered gets 404 in the error shape every other refusal has
 * ({@code {"error": "not_found", "message"}}), not the framework's HTML page. The admin API's own
 * unknown paths are {@code AdminErrors}'s (its key is checked first).
 */
public class UnknownPaths {

    void register(@Observes Router router) {
        router.route().order(Integer.MAX_VALUE).handler(UnknownPaths::notFound);
    }

    private static void notFound(RoutingContext routing) {
        if (routing.normalizedPath().startsWith("/api/")) {
            routing.next();
            return;
        }
        routing.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", "not_found").put("message", "nothing is served at this path").encode());
    }
}
