package dev.lobbyhub.admin;


import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.http.JsonContentType;

/**
 * Admin request bodies are JSON within the size limit: 413 for a declared length over it, 415 for a body
 * whose Content-Type is missing or not {@code application/json} (a {@code charset=utf-8} parameter is fine).
 * Runs after {@link AdminKeyFilter} and before the body is read. A chunked body declares no length; the
 * resource measures it once read.
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
        boolean hasBody = declared > 0 || request.getHeaderString("Transfer-Encoding") != null;
        if (hasBody && !JsonContentType.isJson(request.getHeaderString(HttpHeaders.CONTENT_TYPE))) {
            return ApiError.response(Status.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                    "send the body as Content-Type: application/json");
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
