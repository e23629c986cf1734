package dev.lobbyhub.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.cluster.LobbyRooms;
import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.directory.NewLobbyCodes;
import dev.lobbyhub.health.Capacity;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.protocol.ClientMessage;
import dev.lobbyhub.protocol.ClientMessageParser;
import dev.lobbyhub.protocol.InvalidMessageException;
import dev.lobbyhub.protocol.LobbyCode;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.StrictJson;
import dev.lobbyhub.protocol.PropertyMatch;
import dev.lobbyhub.protocol.Utf8;
import dev.lobbyhub.protocol.Visibility;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.StateAnswer;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin API for game backends. Every answer is JSON. Before a method runs, {@link AdminKeyFilter} checks the
 * key and {@link AdminBodyFilter} the declared size and type of a body; user ids go through
 * {@link DotSegmentUserIds}, which keeps "." and ".." from being normalised away. The API is described in
 * {@code META-INF/openapi.yaml}: a change to an answer here changes it there. Answer records are registered
 * for reflection: several travel inside a {@code Response}, where the native build cannot see their type.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@RegisterForReflection(targets = { AdminResource.Stats.class, AdminResource.NodeStats.class, AdminResource.LobbyLine.class,
        AdminResource.LobbyPage.class, AdminResource.Member.class, AdminResource.LobbyDetail.class,
        AdminResource.LobbyDelivery.class, AdminResource.UserDelivery.class, AdminResource.PingResult.class,
        AdminResource.LobbyStateAnswer.class, AdminResource.RawProperties.class,
        ApiError.class })
public class AdminResource {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    static final long DEFAULT_PING_TIMEOUT_MS = 2000;
    static final long MAX_PING_TIMEOUT_MS = 30_000;

    /** {@code nodes} only in cluster mode. */
    public record Stats(int totalConnections, int maxConnections, long capacityPercent, int activeLobbies,
            int maxPerLobby, String nodeId, @JsonInclude(JsonInclude.Include.NON_NULL) List<NodeStats> nodes) {
    }

    public record NodeStats(String nodeId, int connections, int maxConnections, long capacityPercent, long lastSeenMs) {
    }

    public record LobbyLine(String code, int memberCount) {
    }

    public record LobbyPage(List<LobbyLine> lobbies, String nextCursor) {
    }

    /**
     * {@code state}: {@code connected} or {@code away} (SPEC §10); {@code awayUntil} only when away, else null;
     * {@code properties}: the member's own (SPEC §12), as JSON.
     */
    public record Member(String userId, String name, long connectedAt, Long rttMs, String nodeId, String state,
            Long awayUntil, @JsonRawValue String properties) {
    }

    /**
     * {@code max}: the lobby's capacity, its {@code max_members} (SPEC §12); {@code reserved}: seats reserved and
     * not yet taken (SPEC §13); the rest is its state.
     */
    public record LobbyDetail(String code, int max, List<Member> members, int reserved, String owner, boolean locked,
            String visibility, int maxMembers, @JsonRawValue String properties, long version) {
    }

    /** The state a {@code PATCH}, an owner change or a new lobby answers (SPEC §12, §13). */
    public record LobbyStateAnswer(String code, String owner, boolean locked, String visibility, int maxMembers,
            @JsonRawValue String properties, long version, Map<String, RawProperties> memberProperties, int reserved) {
    }

    /** A member's properties, written as the JSON they are. */
    public record RawProperties(@JsonValue @JsonRawValue String json) {
    }

    public record LobbyDelivery(int delivered) {
    }

    public record UserDelivery(boolean delivered) {
    }

    public record PingResult(boolean alive, Long latencyMs) {
    }

    private final Presence presence;
    private final Broker broker;
    private final LobbyRooms rooms;
    private final NodeId nodeId;
    private final int maxPerLobby;
    private final int maxLobbyPropertiesBytes;
    private final NewLobbyCodes codes;
    private final boolean logOn;
    private final long maxBodyBytes;

    AdminResource(Presence presence, Broker broker, LobbyRooms rooms, NodeId nodeId, NewLobbyCodes codes,
            LobbyhubConfig config) {
        this.presence = presence;
        this.codes = codes;
        this.maxLobbyPropertiesBytes = config.limits().maxLobbyPropertiesBytes();
        this.rooms = rooms;
        this.broker = broker;
        this.nodeId = nodeId;
        this.maxPerLobby = config.limits().maxPerLobby();
        this.logOn = config.recovery().historySize() > 0;
        this.maxBodyBytes = maxBodyBytes(config);
    }

    /** Admin bodies carry one message's data: the inbound message limit, plus room for the envelope. The body filter
     * refuses a declared larger body; this bound also catches chunked bodies, which declare no length. */
    static long maxBodyBytes(LobbyhubConfig config) {
        return config.limits().maxMessageBytes() + 1024L;
    }

    @GET
    @Path("/stats")
    public Uni<Stats> stats() {
        return presence.totals().map(totals -> new Stats(totals.connections(), totals.maxConnections(),
                Capacity.percent(totals.connections(), totals.maxConnections()), totals.activeLobbies(), maxPerLobby,
                nodeId.value(), totals.nodes() == null ? null : totals.nodes().stream()
                        .map(node -> new NodeStats(node.nodeId(), node.connections(), node.maxConnections(),
                                Capacity.percent(node.connections(), node.maxConnections()), node.lastSeenMillis()))
                        .toList()));
    }

    @GET
    @Path("/lobbies")
    public Uni<Response> lobbies(@QueryParam("limit") @DefaultValue("100") String limitText,
            @QueryParam("cursor") String cursor) {
        int limit;
        try {
            limit = Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_PAGE) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_limit", "limit must be 1 to " + MAX_PAGE));
        }
        if (cursor != null && !LobbyCode.isValid(cursor)) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_cursor", "cursor must be a next_cursor value"));
        }
        int pageSize = limit;
        return presence.lobbies(cursor, pageSize + 1).map(found -> {
            boolean more = found.size() > pageSize;
            List<LobbyLine> page = new ArrayList<>(Math.min(pageSize, found.size()));
            for (Presence.LobbyCount lobby : found.subList(0, Math.min(pageSize, found.size()))) {
                page.add(new LobbyLine(lobby.code(), lobby.memberCount()));
            }
            return Response.ok(new LobbyPage(page, more ? page.get(page.size() - 1).code() : null)).build();
        });
    }

    @GET
    @Path("/lobbies/{code}")
    public Uni<Response> lobby(@PathParam("code") String code) {
        return presence.lobbyMembers(code).chain(members -> {
            return rooms.state(code).map(found -> {
                if (members.isEmpty() && found.isEmpty()) {
                    return lobbyNotFound(code);
                }
                // Read apart from the members: a lobby emptied in between still answers its members.
                LobbyState state = found.orElse(LobbyState.fresh(null, maxPerLobby));
                List<Member> list = new ArrayList<>(members.size());
                for (Presence.Member member : members) {
                    list.add(new Member(member.userId(), member.name(), member.connectedAtMillis(), member.rttMillis(),
                            member.nodeId(), member.away() ? "away" : "connected", member.awayUntilMillis(),
                            state.memberProperties().getOrDefault(member.userId(), LobbyState.NO_PROPERTIES)));
                }
                return Response.ok(new LobbyDetail(code, state.maxMembers(), list, state.reserved(), state.owner(),
                        state.locked(), state.visibility(), state.maxMembers(), state.properties(), state.version()))
                        .build();
            });
        });
    }

    /** The game backend changes a lobby's settings as its owner could (SPEC §12); {@code lobby_updated} has {@code by: null}. */
    @PATCH
    @Path("/lobbies/{code}")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> updateLobby(@PathParam("code") String code, String body) {
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = StrictJson.object(body);
        if (request == null) {
            return answer(invalidBody("{\"locked\", \"visibility\", \"max_members\", \"properties\", \"expected_version\"}"));
        }
        ClientMessage.LobbyUpdate update;
        try {
            update = ClientMessageParser.lobbyUpdate(request);
        } catch (InvalidMessageException e) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_body", e.getMessage()));
        }
        return rooms.update(code, update).map(answer -> stateAnswer(code, answer));
    }

    /** Hands the lobby to a member (SPEC §12): 404 when that user holds no seat there. */
    @PUT
    @Path("/lobbies/{code}/owner")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> setOwner(@PathParam("code") String code, String body) {
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = StrictJson.object(body);
        JsonNode user = request == null ? null : request.get("user_id");
        if (user == null || !user.isTextual() || user.textValue().isEmpty()) {
            return answer(invalidBody("{\"user_id\": a member's user id}"));
        }
        return rooms.setOwner(code, user.textValue()).map(answer -> stateAnswer(code, answer));
    }

    private Response stateAnswer(String code, StateAnswer answer) {
        if (answer instanceof StateAnswer.Changed changed) {
            LobbyState state = changed.state();
            Map<String, RawProperties> members = new LinkedHashMap<>();
            state.memberProperties().forEach((user, json) -> members.put(user, new RawProperties(json)));
            return Response.ok(stateOf(code, state)).build();
        }
        return switch (((StateAnswer.Refused) answer).why()) {
            case VERSION_CONFLICT -> ApiError.response(Status.CONFLICT, "version_conflict",
                    "expected_version is not the lobby's version: nothing changed");
            case PROPERTIES_TOO_LARGE -> ApiError.response(Status.BAD_REQUEST, "properties_too_large",
                    "properties over lobbyhub.limits.max-lobby-properties-bytes");
            case MAX_MEMBERS_OUT_OF_RANGE -> ApiError.response(Status.BAD_REQUEST, "invalid_body",
                    "max_members must be a whole number from 1 to " + maxPerLobby);
            case NOT_MEMBER -> ApiError.response(Status.NOT_FOUND, "user_not_found",
                    "that user holds no seat in lobby " + code);
            default -> lobbyNotFound(code);
        };
    }

    private static LobbyStateAnswer stateOf(String code, LobbyState state) {
        Map<String, RawProperties> members = new LinkedHashMap<>();
        state.memberProperties().forEach((user, json) -> members.put(user, new RawProperties(json)));
        return new LobbyStateAnswer(code, state.owner(), state.locked(), state.visibility(), state.maxMembers(),
                state.properties(), state.version(), members, state.reserved());
    }

    /**
     * A game backend makes a lobby with a server-chosen code (SPEC §13): its owner, when given, holds a reservation;
     * without one, the lobby waits empty for {@code users.reservation-ttl}.
     */
    @POST
    @Path("/lobbies")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> createLobby(String body) {
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = body == null || body.isBlank() ? StrictJson.object("{}") : StrictJson.object(body);
        if (request == null) {
            return answer(invalidBody("{\"owner\", \"visibility\", \"max_members\", \"properties\"}"));
        }
        JsonNode owner = request.get("owner");
        if (owner != null && !owner.isNull() && (!owner.isTextual() || owner.textValue().isEmpty())) {
            return answer(invalidBody("owner must be a user id"));
        }
        ClientMessage.LobbyUpdate settings;
        try {
            settings = request.has("visibility") || request.has("max_members") || request.has("properties")
                    ? ClientMessageParser.lobbyUpdate(request) : null;
        } catch (InvalidMessageException e) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_body", e.getMessage()));
        }
        if (request.has("locked") || request.has("expected_version")) {
            return answer(invalidBody("a new lobby takes owner, visibility, max_members and properties"));
        }
        int maxMembers = settings == null || settings.maxMembers() == null ? maxPerLobby : settings.maxMembers().intValue();
        if (maxMembers > maxPerLobby) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_body",
                    "max_members must be a whole number from 1 to " + maxPerLobby));
        }
        String properties = settings == null || settings.properties() == null ? LobbyState.NO_PROPERTIES
                : settings.properties();
        if (Utf8.length(properties) > maxLobbyPropertiesBytes) {
            return answer(ApiError.response(Status.BAD_REQUEST, "properties_too_large",
                    "properties over lobbyhub.limits.max-lobby-properties-bytes"));
        }
        String visibility = settings == null || settings.visibility() == null ? Visibility.PRIVATE : settings.visibility();
        String ownerId = owner == null || owner.isNull() ? null : owner.textValue();
        return createLobby(ownerId, visibility, maxMembers, properties, 4);
    }

    private Uni<Response> createLobby(String owner, String visibility, int maxMembers, String properties, int tries) {
        String code = codes.next();
        return rooms.create(new LobbyDirectory.NewLobby(code, owner, visibility, maxMembers, properties,
                PropertyMatch.tokens(properties))).chain(state -> {
                    if (state != null) {
                        return answer(Response.ok(stateOf(code, state)).build());
                    }
                    // The code is taken (about never): another one.
                    return tries > 1 ? createLobby(owner, visibility, maxMembers, properties, tries - 1)
                            : answer(ApiError.response(Status.SERVICE_UNAVAILABLE, "try_again", "no free lobby code found"));
                });
    }

    /** Seats for a party or a matchmaker's players, all or none (SPEC §13): 409 {@code lobby_full} when they do not fit. */
    @POST
    @Path("/lobbies/{code}/reservations")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> reserve(@PathParam("code") String code, String body) {
        if (!LobbyCode.isValid(code)) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_lobby", "lobby must be 1 to 64 of A-Z a-z 0-9 _ -"));
        }
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = StrictJson.object(body);
        JsonNode ids = request == null ? null : request.get("user_ids");
        if (ids == null || !ids.isArray() || ids.isEmpty() || ids.size() > maxPerLobby) {
            return answer(invalidBody("{\"user_ids\": 1 to " + maxPerLobby + " user ids}"));
        }
        LinkedHashSet<String> users = new LinkedHashSet<>();
        for (JsonNode id : ids) {
            if (!id.isTextual() || id.textValue().isEmpty() || id.textValue().length() > 128) {
                return answer(invalidBody("each user id is a string of 1 to 128 characters"));
            }
            users.add(id.textValue());
        }
        return rooms.reserve(code, List.copyOf(users)).chain(answer -> switch (answer) {
            case RESERVED -> rooms.state(code).map(state -> state.isPresent()
                    ? Response.ok(stateOf(code, state.get())).build() : lobbyNotFound(code));
            case LOBBY_FULL -> answer(ApiError.response(Status.CONFLICT, "lobby_full",
                    "the lobby has not enough free seats for all of them: nothing was reserved"));
            case FORBIDDEN -> answer(ApiError.response(Status.CONFLICT, "forbidden",
                    "one of them was kicked out of this lobby by its owner: nothing was reserved"));
            case NO_LOBBY -> answer(lobbyNotFound(code));
        });
    }

    private static Response lobbyNotFound(String code) {
        return ApiError.response(Status.NOT_FOUND, "lobby_not_found", "nobody is in lobby " + code);
    }

    @GET
    @Path("/users/{id}")
    public Uni<Map<String, Object>> user(@PathParam("id") String id, @Context RoutingContext routing) {
        String userId = DotSegmentUserIds.userId(routing, id);
        return presence.user(userId).map(found -> {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("user_id", userId);
            boolean away = found.isPresent() && found.get().away();
            answer.put("connected", found.isPresent() && !away);
            if (away) {
                // Its connection is gone and its seat held for its return (SPEC §10).
                answer.put("away", true);
                answer.put("lobby", found.get().lobby());
                answer.put("away_until", found.get().awayUntilMillis());
            } else {
                found.ifPresent(member -> {
                    answer.put("lobby", member.lobby());
                    answer.put("connected_at", member.connectedAtMillis());
                    answer.put("rtt_ms", member.rttMillis());
                    answer.put("node_id", member.nodeId());
                });
            }
            return answer;
        });
    }

    @POST
    @Path("/lobbies/{code}/messages")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> sendToLobby(@PathParam("code") String code, String body) {
        if (!LobbyCode.isValid(code)) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_lobby", "lobby must be 1 to 64 of A-Z a-z 0-9 _ -"));
        }
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = StrictJson.object(body);
        if (request == null || !request.has("data")) {
            return answer(invalidBody("{\"data\": any JSON, \"exclude_user_id\": optional string}"));
        }
        JsonNode exclude = request.get("exclude_user_id");
        if (exclude != null && !exclude.isNull() && !exclude.isTextual()) {
            return answer(invalidBody("exclude_user_id must be a string"));
        }
        String excluded = exclude == null || exclude.isNull() ? null : exclude.textValue();
        return broker.toLobby(code, request.get("data"), excluded)
                .map(delivered -> Response.ok(new LobbyDelivery(delivered)).build());
    }

    @POST
    @Path("/users/{id}/messages")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    public Uni<Response> sendToUser(@PathParam("id") String id, @Context RoutingContext routing, String body) {
        String userId = DotSegmentUserIds.userId(routing, id);
        if (tooLarge(body)) {
            return answer(bodyTooLarge(maxBodyBytes));
        }
        JsonNode request = StrictJson.object(body);
        if (request == null || !request.has("data")) {
            return answer(invalidBody("{\"data\": any JSON}"));
        }
        return broker.toUser(userId, request.get("data")).chain(delivered -> delivered
                ? answer(Response.ok(new UserDelivery(true)).build())
                : presence.user(userId).map(found -> found.isPresent() && found.get().away() && logOn
                        // Logged for the away member, who reads it when it comes back (SPEC §10).
                        ? Response.ok(Map.of("delivered", false, "away", true)).build()
                        : userNotFound(userId)));
    }

    @POST
    @Path("/users/{id}/ping")
    public Uni<Response> ping(@PathParam("id") String id, @Context RoutingContext routing,
            @QueryParam("timeout_ms") @DefaultValue("2000") String timeoutText) {
        String userId = DotSegmentUserIds.userId(routing, id);
        long timeout;
        try {
            timeout = Long.parseLong(timeoutText);
        } catch (NumberFormatException e) {
            timeout = -1;
        }
        if (timeout < 1 || timeout > MAX_PING_TIMEOUT_MS) {
            return answer(ApiError.response(Status.BAD_REQUEST, "invalid_timeout",
                    "timeout_ms must be 1 to " + MAX_PING_TIMEOUT_MS));
        }
        return broker.ping(userId, timeout).map(result -> result.connected()
                ? Response.ok(new PingResult(result.latencyMillis() != null, result.latencyMillis())).build()
                : userNotFound(userId));
    }

    @DELETE
    @Path("/users/{id}/connection")
    public Uni<Response> kick(@PathParam("id") String id, @Context RoutingContext routing) {
        String userId = DotSegmentUserIds.userId(routing, id);
        return broker.kick(userId).map(kicked -> kicked ? Response.noContent().build() : userNotFound(userId));
    }

    private static Uni<Response> answer(Response response) {
        return Uni.createFrom().item(response);
    }

    private boolean tooLarge(String body) {
        return body != null && (long) body.length() * 3 > maxBodyBytes
                && body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxBodyBytes;
    }

    static Response bodyTooLarge(long maxBodyBytes) {
        return ApiError.response(Status.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                "request bodies are limited to " + maxBodyBytes + " bytes");
    }

    private static Response invalidBody(String expected) {
        return ApiError.response(Status.BAD_REQUEST, "invalid_body",
                "expected one JSON object, with no duplicate keys and nothing after it: " + expected);
    }

    private static Response userNotFound(String userId) {
        return ApiError.response(Status.NOT_FOUND, "user_not_found", "user " + userId + " is not connected");
    }
}
