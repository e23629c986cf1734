package dev.lobbyhub.admin;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Asks {@link AdminKey} about every request matched to an admin resource method. It runs after matching, not
 * before: the route template is known by then, so a 401 is counted in the HTTP metrics under the template
 * ({@code /api/v1/users/{id}}), never under a path the caller made up.
 */
public class AdminKeyFilter {

    static final String PREFIX = "/api/";
    /** Set on the requests this filter judged; {@link AdminErrors} judges the others, which the framework answered. */
    static final String KEY_CHECKED = AdminKeyFilter.class.getName() + ".checked";

    private final AdminKey key;

    AdminKeyFilter(AdminKey key) {
        this.key = key;
    }

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION)
    public Response check(ContainerRequestContext request) {
        if (!isAdmin(request)) {
            return null;
        }
        request.setProperty(KEY_CHECKED, Boolean.TRUE);
        return key.refuse(request.getHeaderString(HttpHeaders.AUTHORIZATION)).map(AdminKey.Refusal::response).orElse(null);
    }

    static boolean isAdmin(ContainerRequestContext request) {
        return request.getUriInfo().getPath().startsWith(PREFIX);
    }
}
