package dev.lobbyhub.admin;

import java.util.Locale;

import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response.Status;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import dev.lobbyhub.http.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers that the framework gives under {@code /api/} before any admin code runs: unknown paths (404), wrong
 * methods (405), unacceptable Accept headers (406), OPTIONS. The key is checked first, as for every admin request,
 * then errors get the {@code {"error", "message"}} shape.
 */
public class AdminErrors {

    private final AdminKey key;

    AdminErrors(AdminKey key) {
        this.key = key;
    }

    /** Paths no resource matched fall through to this route, registered after all others. */
    void unknownPaths(@Observes Router router) {
        router.route(AdminKeyFilter.PREFIX + "*").order(Integer.MAX_VALUE).handler(this::notFound);
    }

    private void notFound(RoutingContext routing) {
        var refusal = key.refuse(routing.request().getHeader(HttpHeaders.AUTHORIZATION));
        if (refusal.isPresent()) {
            refusal.get().send(routing);
            return;
        }
        routing.response().setStatusCode(Status.NOT_FOUND.getStatusCode())
                .putHeader(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON)
                .end(new JsonObject().put("error", "not_found")
                        .put("message", "no admin API at " + routing.normalizedPath()).encode());
    }

    @ServerResponseFilter
    public void frameworkAnswers(ContainerRequestContext request, ContainerResponseContext response) {
        if (!AdminKeyFilter.isAdmin(request)) {
            return;
        }
        if (request.getProperty(AdminKeyFilter.KEY_CHECKED) == null) {
            var refusal = key.refuse(request.getHeaderString(HttpHeaders.AUTHORIZATION));
            if (refusal.isPresent()) {
                replace(response, refusal.get());
                return;
            }
        }
        if (response.getStatus() >= 400 && !response.hasEntity()) {
            response.setEntity(shapeOf(response.getStatus(), request.getMethod()), null, MediaType.APPLICATION_JSON_TYPE);
        }
    }

    private static void replace(ContainerResponseContext response, AdminKey.Refusal refusal) {
        var answer = refusal.response();
        response.getHeaders().clear();
        response.getHeaders().putAll(answer.getHeaders());
        response.setStatus(answer.getStatus());
        response.setEntity(answer.getEntity(), null, MediaType.APPLICATION_JSON_TYPE);
    }

    private static ApiError shapeOf(int status, String method) {
        return switch (status) {
            case 404 -> new ApiError("not_found", "no such admin resource");
            case 405 -> new ApiError("method_not_allowed", "this admin API path does not take " + method);
            case 406 -> new ApiError("not_acceptable", "the admin API answers application/json");
            case 415 -> new ApiError("unsupported_media_type", "send the body as Content-Type: application/json");
            default -> {
                Status known = Status.fromStatusCode(status);
                String reason = known == null ? "HTTP " + status : known.getReasonPhrase();
                yield new ApiError(reason.toLowerCase(Locale.ROOT).replace(' ', '_'), reason);
            }
        };
    }
}
