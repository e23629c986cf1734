package dev.lobbyhub.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

import jakarta.inject.Singleton;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin key of SPEC §7: 403 {@code admin_api_disabled} while none is configured, 401 for a missing or
 * wrong bearer key (compared in constant time). Every place that answers under {@code /api/} asks it first,
 * so no caller without the key learns which paths or methods exist.
 */
@Singleton
public class AdminKey {

    private static final String BEARER = "Bearer ";

    /** Why a request was turned away, ready to be sent by JAX-RS or by a plain Vert.x route. */
    public record Refusal(Status status, ApiError error) {

        Response response() {
            Response.ResponseBuilder response = Response.status(status).type(MediaType.APPLICATION_JSON).entity(error);
            if (status == Status.UNAUTHORIZED) {
                response.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            }
            return response.build();
        }

        void send(RoutingContext routing) {
            if (status == Status.UNAUTHORIZED) {
                routing.response().putHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            }
            routing.response().setStatusCode(status.getStatusCode())
                    .putHeader(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON)
                    .end(new JsonObject().put("error", error.error()).put("message", error.message()).encode());
        }
    }

    private static final Refusal DISABLED = new Refusal(Status.FORBIDDEN, new ApiError("admin_api_disabled",
            "the admin API is off: set lobbyhub.api.key (LOBBYHUB_API_KEY) to turn it on"));
    private static final Refusal UNAUTHORIZED = new Refusal(Status.UNAUTHORIZED, new ApiError("unauthorized",
            "send Authorization: Bearer <lobbyhub.api.key>"));

    private final Optional<byte[]> keyDigest;

    AdminKey(LobbyhubConfig config) {
        this.keyDigest = config.api().key().map(AdminKey::sha256);
    }

    /** Empty when {@code authorization} (the header's value, or null) carries the configured key. */
    public Optional<Refusal> refuse(String authorization) {
        if (keyDigest.isEmpty()) {
            return Optional.of(DISABLED);
        }
        String presented = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).trim()
                : "";
        return MessageDigest.isEqual(keyDigest.get(), sha256(presented)) ? Optional.empty() : Optional.of(UNAUTHORIZED);
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
