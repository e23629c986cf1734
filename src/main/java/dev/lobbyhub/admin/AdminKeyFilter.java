package dev.lobbyhub.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.lobbyhub.config.LobbyhubConfig;

/**
 * Guards {@code /api/}: 403 {@code admin_api_disabled} while no key is configured, 401 for a
 * missing or wrong bearer key (compared in constant time), 413 for a body over the limit.
 */
public class AdminKeyFilter {

    static final String PREFIX = "/api/";
    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> keyDigest;
    private final long maxBodyBytes;

    AdminKeyFilter(LobbyhubConfig config) {
        this.keyDigest = config.api().key().map(AdminKeyFilter::sha256);
        this.maxBodyBytes = AdminResource.maxBodyBytes(config);
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        if (!request.getUriInfo().getPath().startsWith(PREFIX)) {
            return null;
        }
        if (keyDigest.isEmpty()) {
            return ApiError.response(Response.Status.FORBIDDEN, "admin_api_disabled",
                    "the admin API is off: set lobbyhub.api.key (LOBBYHUB_API_KEY) to turn it on");
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        String presented = header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? header.substring(BEARER.length()).trim()
                : "";
        if (!MessageDigest.isEqual(keyDigest.get(), sha256(presented))) {
            Response unauthorized = ApiError.response(Response.Status.UNAUTHORIZED, "unauthorized",
                    "send Authorization: Bearer <lobbyhub.api.key>");
            unauthorized.getHeaders().add(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            return unauthorized;
        }
        if (request.getLength() > maxBodyBytes) {
            return ApiError.response(Response.Status.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                    "request bodies are limited to " + maxBodyBytes + " bytes");
        }
        return null;
    }

    /** Hashing both sides first makes the comparison constant-time whatever the lengths. */
    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
