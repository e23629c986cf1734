package dev.lobbyhub.admin;

import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response.Status;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** Keeps every admin error in the {@code {"error", "message"}} shape: unknown paths and wrong methods too. */
public class AdminErrors {

    /** Paths no resource matched fall through to this route, registered after all others. */
    void unknownPaths(@Observes Router router) {
        router.route(AdminKeyFilter.PREFIX + "*").order(Integer.MAX_VALUE).handler(ctx -> ctx.response()
                .setStatusCode(Status.NOT_FOUND.getStatusCode())
                .putHeader("Content-Type", MediaType.APPLICATION_JSON)
                .end(new JsonObject().put("error", "not_found")
                        .put("message", "no admin API at " + ctx.normalizedPath()).encode()));
    }

    @ServerResponseFilter
    public void wrongMethod(ContainerRequestContext request, ContainerResponseContext response) {
        if (response.getStatus() == Status.METHOD_NOT_ALLOWED.getStatusCode() && !response.hasEntity()
                && request.getUriInfo().getPath().startsWith(AdminKeyFilter.PREFIX)) {
            response.setEntity(new ApiError("method_not_allowed", "this admin API path does not take "
                    + request.getMethod()), null, MediaType.APPLICATION_JSON_TYPE);
        }
    }
}
