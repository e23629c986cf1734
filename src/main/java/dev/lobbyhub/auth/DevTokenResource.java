package dev.lobbyhub.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.protocol.LobbyCode;
import io.quarkus.arc.profile.IfBuildProfile;

/**
 * Mints tokens signed with the configured secret, so a newcomer can connect without an identity
 * provider. Built into dev and test builds only: a production build has no such path (404). Any origin may
 * read its answers, so a game served by its own dev server (say Vite on :5173) can fetch tokens from here.
 */
@Path("/dev/token")
@IfBuildProfile(anyOf = { "dev", "test" })
public class DevTokenResource {

    static final Duration LIFETIME = Duration.ofHours(12);

    private final LobbyhubConfig.Jwt jwt;

    DevTokenResource(LobbyhubConfig config) {
        this.jwt = config.auth().jwt();
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response mint(@QueryParam("user") String user, @QueryParam("lobby") String lobby,
            @QueryParam("name") String name) throws JoseException {
        return Response.fromResponse(token(user, lobby, name)).header("Access-Control-Allow-Origin", "*").build();
    }

    private Response token(String user, String lobby, String name) throws JoseException {
        if (user == null || user.isEmpty() || user.length() > TokenVerifier.MAX_USER_ID_LENGTH) {
            return error("invalid_user", "user must be 1 to " + TokenVerifier.MAX_USER_ID_LENGTH + " characters");
        }
        if (lobby != null && !LobbyCode.isValid(lobby)) {
            return error("invalid_lobby", "lobby must be 1 to 64 characters of A-Z a-z 0-9 _ -");
        }
        if (name != null && name.length() > TokenVerifier.MAX_NAME_LENGTH) {
            return error("invalid_name", "name must be at most " + TokenVerifier.MAX_NAME_LENGTH + " characters");
        }
        if (jwt.secret().isEmpty()) {
            return ApiError.response(Response.Status.CONFLICT, "no_secret", "dev tokens need lobbyhub.auth.jwt.secret");
        }
        JwtClaims claims = new JwtClaims();
        claims.setSubject(user);
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(LIFETIME.toMinutes());
        jwt.issuer().ifPresent(claims::setIssuer);
        if (name != null) {
            claims.setClaim("name", name);
        }
        if (lobby != null) {
            claims.setStringListClaim("lobbies", List.of(lobby));
        }
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(new HmacKey(jwt.secret().get().getBytes(StandardCharsets.UTF_8)));
        return Response.ok(Map.of("token", jws.getCompactSerialization(), "user_id", user,
                "expires_in_ms", LIFETIME.toMillis())).build();
    }

    private static Response error(String code, String message) {
        return ApiError.response(Response.Status.BAD_REQUEST, code, message);
    }
}
