package dev.lobbyhub.admin;

import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.lobbyhub.config.LobbyhubConfig;

/**
 * Admin request bodies stay within the size limit: 413 for a declared length over it. Runs after
 * {@link AdminKeyFilter} and before the body is read. A chunked body declares no length; the resource
 * measures it once read.
 */
public class AdminBodyFilter {

    private final long maxBodyBytes;

    AdminBodyFilter(LobbyhubConfig config) {
        this.maxBodyBytes = AdminResource.maxBodyBytes(config);
    }

    @ServerRequestFilter(priority = Priorities.ENTITY_CODER)
    public Response check(ContainerRequestContext request) {
        if (!AdminKeyFilter.isAdmin(request)) {
            return null;
        }
        long declared = declaredLength(request);
        if (declared > maxBodyBytes) {
            return AdminResource.bodyTooLarge(maxBodyBytes);
        }
        return null;
    }

    /** -1 without a Content-Length; an unreadable one counts as too large. */
    private static long declaredLength(ContainerRequestContext request) {
        String value = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
