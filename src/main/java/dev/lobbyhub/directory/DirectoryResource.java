package dev.lobbyhub.directory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.OPTIONS;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;
import jakarta.ws.rs.core.UriInfo;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.auth.InvalidTokenException;
import dev.lobbyhub.auth.TokenVerifier;
import dev.lobbyhub.cluster.BackplaneUnavailableException;
import dev.lobbyhub.config.AllowedOrigins;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.http.JsonContentType;
import dev.lobbyhub.protocol.StrictJson;
import dev.lobbyhub.protocol.Visibility;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.LobbyDirectory;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;

/**
 * The player-facing lobby directory and quick join (SPEC §13): the player's JWT in
 * {@code Authorization: Bearer}, errors in the admin API's shape, CORS for {@code allowed-origins} (any
 * origin when unset) on every answer, errors included, so a browser game can read them. Each user's
 * calls are limited by {@link LobbyCallLimit}. Described in {@code META-INF/openapi.yaml} under the tag
 * {@code players}.
 */
@Path("/lobbies")
@Produces(MediaType.APPLICATION_JSON)
@RegisterForReflection(targets = { DirectoryResource.ListedLobby.class, DirectoryResource.LobbyList.class,
        DirectoryResource.QuickJoinAnswer.class, ApiError.class })
public class DirectoryResource {

    private static final Logger LOG = Logger.getLogger(DirectoryResource.class);
    private static final String BEARER = "Bearer ";
    /** A server-chosen code is taken about never; a few more tries cover it. */
    private static final int CODE_TRIES = 4;

    /** One public lobby; {@code max} is its {@code max_members}. */
    public record ListedLobby(String code, int memberCount, int max, String owner, boolean locked,
            @JsonRawValue String properties) {
    }

    public record LobbyList(List<ListedLobby> lobbies, String nextCursor) {
    }

    /** {@code reservedMs}: how long the seat waits for the player's connection; 0 when it holds a seat there. */
    public record QuickJoinAnswer(String lobby, boolean created, long reservedMs) {
    }

    private final ConnectionRegistry registry;
    private final TokenVerifier tokens;
    private final LobbyCallLimit callLimit;
    private final NewLobbyCodes codes;
    private final AllowedOrigins origins;
    private final int maxPerLobby;
    private final long maxBodyBytes;

    DirectoryResource(ConnectionRegistry registry, TokenVerifier tokens, LobbyCallLimit callLimit, NewLobbyCodes codes,
            LobbyhubConfig config) {
        this.registry = registry;
        this.tokens = tokens;
        this.callLimit = callLimit;
        this.codes = codes;
        this.origins = AllowedOrigins.of(config.allowedOrigins());
        this.maxPerLobby = config.limits().maxPerLobby();
        this.maxBodyBytes = config.limits().maxLobbyPropertiesBytes() + 1024L;
    }

    @GET
    public Uni<Response> list(@Context HttpHeaders headers, @Context UriInfo uri) {
        String origin = headers.getHeaderString("Origin");
        Identity identity;
        DirectoryRequests.Listing listing;
        try {
            identity = caller(headers);
            listing = DirectoryRequests.listing(uri.getQueryParameters(true));
        } catch (Refusal refusal) {
            return answer(refusal.response, origin);
        } catch (DirectoryRequests.BadRequest bad) {
            return answer(ApiError.response(Status.BAD_REQUEST, bad.code, bad.getMessage()), origin);
        }
        LobbyDirectory.Query query = new LobbyDirectory.Query(listing.match(), listing.hasSpace(),
                identity.lobbies().orElse(null));
        return answered(registry.directory().list(query, listing.cursor(), listing.limit()).map(page -> {
            List<ListedLobby> lobbies = new ArrayList<>(page.lobbies().size());
            for (LobbyDirectory.Listed lobby : page.lobbies()) {
                lobbies.add(new ListedLobby(lobby.code(), lobby.memberCount(), lobby.max(), lobby.owner(), lobby.locked(),
                        lobby.properties()));
            }
            return Response.ok(new LobbyList(lobbies, page.nextCursor())).build();
        }), origin);
    }

    @POST
    @Path("/quick-join")
    @Consumes(MediaType.WILDCARD) // the content type is checked here, after the token, as the admin API does
    public Uni<Response> quickJoin(@Context HttpHeaders headers, String body) {
        String origin = headers.getHeaderString("Origin");
        Identity identity;
        DirectoryRequests.QuickJoinBody request;
        try {
            identity = caller(headers);
            request = DirectoryRequests.quickJoin(body(headers, body), maxPerLobby);
        } catch (Refusal refusal) {
            return answer(refusal.response, origin);
        } catch (DirectoryRequests.BadRequest bad) {
            return answer(ApiError.response(Status.BAD_REQUEST, bad.code, bad.getMessage()), origin);
        }
        LobbyDirectory.Query query = new LobbyDirectory.Query(request.match(), true, identity.lobbies().orElse(null));
        return answered(quickJoin(identity.userId(), query, request, CODE_TRIES).map(joined -> {
            if (joined instanceof LobbyDirectory.Placed placed) {
                return Response.ok(new QuickJoinAnswer(placed.lobby(), placed.created(), placed.reservedMillis())).build();
            }
            return ApiError.response(Status.NOT_FOUND, "no_lobby",
                    "no lobby of this token's lobbies claim has a free seat for these properties");
        }), origin);
    }

    private Uni<LobbyDirectory.QuickJoin> quickJoin(String userId, LobbyDirectory.Query query,
            DirectoryRequests.QuickJoinBody request, int tries) {
        // A lobbies claim never makes a lobby (SPEC §13).
        LobbyDirectory.NewLobby ifNone = query.only() != null ? null
                : new LobbyDirectory.NewLobby(codes.next(), userId, Visibility.PUBLIC,
                        request.maxMembers() == null ? maxPerLobby : request.maxMembers(), request.properties(),
                        request.tokens());
        return registry.directory().quickJoin(userId, query, ifNone).chain(joined -> joined instanceof LobbyDirectory.CodeTaken
                && tries > 1 ? quickJoin(userId, query, request, tries - 1) : Uni.createFrom().item(joined));
    }

    @OPTIONS
    public Response listPreflight(@Context HttpHeaders headers) {
        return preflight(headers.getHeaderString("Origin"));
    }

    @OPTIONS
    @Path("/quick-join")
    public Response quickJoinPreflight(@Context HttpHeaders headers) {
        return preflight(headers.getHeaderString("Origin"));
    }

    private Response preflight(String origin) {
        Response.ResponseBuilder answer = Response.noContent();
        if (allowedOrigin(origin) != null) {
            answer.header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                    .header("Access-Control-Allow-Headers", "Authorization, Content-Type")
                    .header("Access-Control-Max-Age", "600");
        }
        return withCors(answer.build(), origin);
    }

    /** The verified caller, who has a call left this second. */
    private Identity caller(HttpHeaders headers) throws Refusal {
        String header = headers.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new Refusal(unauthorized("send the player's token as Authorization: Bearer <jwt>"));
        }
        Identity identity;
        try {
            identity = tokens.verify(header.substring(BEARER.length()).trim());
        } catch (InvalidTokenException e) {
            throw new Refusal(unauthorized("the token is not valid"));
        }
        if (!callLimit.tryCall(identity.userId())) {
            throw new Refusal(ApiError.response(Status.TOO_MANY_REQUESTS, "rate_limited",
                    "over lobbyhub.limits.lobby-calls-per-second for this user; try again in a second"));
        }
        return identity;
    }

    private static Response unauthorized(String message) {
        Response response = ApiError.response(Status.UNAUTHORIZED, "invalid_token", message);
        response.getHeaders().putSingle(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        return response;
    }

    /** The body as a JSON object; none at all is an empty one. */
    private JsonNode body(HttpHeaders headers, String body) throws Refusal {
        if (body == null || body.isEmpty()) {
            return StrictJson.object("{}");
        }
        if (!JsonContentType.isJson(headers.getHeaderString(HttpHeaders.CONTENT_TYPE))) {
            throw new Refusal(ApiError.response(Status.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                    "send the body as Content-Type: application/json"));
        }
        if ((long) body.length() > maxBodyBytes || body.getBytes(StandardCharsets.UTF_8).length > maxBodyBytes) {
            throw new Refusal(ApiError.response(Status.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                    "quick-join bodies are limited to " + maxBodyBytes + " bytes"));
        }
        JsonNode object = StrictJson.object(body);
        if (object == null) {
            throw new Refusal(ApiError.response(Status.BAD_REQUEST, "invalid_body",
                    "expected one JSON object, with no duplicate keys and nothing after it: {\"properties\", \"max_members\"}"));
        }
        return object;
    }

    /** A store that cannot answer is 503, as in the admin API; CORS on every answer. */
    private Uni<Response> answered(Uni<Response> call, String origin) {
        return call.onFailure(BackplaneUnavailableException.class).recoverWithItem(failure -> {
            LOG.debugf("directory call refused: %s", failure.getMessage());
            return ApiError.response(Status.SERVICE_UNAVAILABLE, "backplane_unavailable",
                    "Redis is unreachable from this node; nothing was done, try again later");
        }).map(response -> withCors(response, origin));
    }

    private Uni<Response> answer(Response response, String origin) {
        return Uni.createFrom().item(withCors(response, origin));
    }

    private Response withCors(Response response, String origin) {
        String allowed = allowedOrigin(origin);
        if (allowed != null) {
            response.getHeaders().putSingle("Access-Control-Allow-Origin", allowed);
            if (!"*".equals(allowed)) {
                response.getHeaders().putSingle("Vary", "Origin");
            }
        }
        return response;
    }

    /** What {@code Access-Control-Allow-Origin} says to this origin: any while the list is unset, else the origin if listed. */
    private String allowedOrigin(String origin) {
        if (origins.allowsAny()) {
            return "*";
        }
        return origin != null && origins.allows(origin) ? origin : null;
    }

    /** A request refused before it reaches the directory. */
    private static final class Refusal extends Exception {
        final transient Response response;

        Refusal(Response response) {
            super(null, null, false, false);
            this.response = response;
        }
    }
}
