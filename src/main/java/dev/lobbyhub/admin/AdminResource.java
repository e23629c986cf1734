package dev.lobbyhub.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.delivery.PongWaiters;
import dev.lobbyhub.delivery.Relay;
import dev.lobbyhub.health.Capacity;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LobbyCode;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin API for game backends. Every answer is JSON. Before a method runs, {@link AdminKeyFilter} checks the
 * key and {@link AdminBodyFilter} the declared size and type of a body; user ids go through
 * {@link DotSegmentUserIds}, which keeps "." and ".." from being normalised away. Answer records are registered
 * for reflection: several travel inside a {@code Response}, where the native build cannot see their type.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer")
@SecurityRequirement(name = "apiKey")
@RegisterForReflection(targets = { AdminResource.Stats.class, AdminResource.LobbyLine.class,
        AdminResource.LobbyPage.class, AdminResource.Member.class, AdminResource.LobbyDetail.class,
        AdminResource.LobbyDelivery.class, AdminResource.UserDelivery.class, AdminResource.PingResult.class,
        ApiError.class })
public class AdminResource {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    static final long DEFAULT_PING_TIMEOUT_MS = 2000;
    static final long MAX_PING_TIMEOUT_MS = 30_000;

    public record Stats(int totalConnections, int maxConnections, long capacityPercent, int activeLobbies,
            int maxPerLobby, String nodeId) {
    }

    public record LobbyLine(String code, int memberCount) {
    }

    public record LobbyPage(List<LobbyLine> lobbies, String nextCursor) {
    }

    public record Member(String userId, String name, long connectedAt, Long rttMs, String nodeId) {
    }

    public record LobbyDetail(String code, int max, List<Member> members) {
    }

    public record LobbyDelivery(int delivered) {
    }

    public record UserDelivery(boolean delivered) {
    }

    public record PingResult(boolean alive, Long latencyMs) {
    }

    private final ConnectionRegistry registry;
    private final PongWaiters pongWaiters;
    private final Relay relay;
    private final NodeId nodeId;
    private final long maxBodyBytes;

    AdminResource(ConnectionRegistry registry, PongWaiters pongWaiters, Relay relay, NodeId nodeId,
            LobbyhubConfig config) {
        this.registry = registry;
        this.pongWaiters = pongWaiters;
        this.relay = relay;
        this.nodeId = nodeId;
        this.maxBodyBytes = maxBodyBytes(config);
    }

    /** Admin bodies carry one message's data: the inbound message limit, plus room for the envelope. The body filter
     * refuses a declared larger body; this bound also catches chunked bodies, which declare no length. */
    static long maxBodyBytes(LobbyhubConfig config) {
        return config.limits().maxMessageBytes() + 1024L;
    }

    @GET
    @Path("/stats")
    @Operation(summary = "Connection and lobby counts of this node")
    public Stats stats() {
        int connections = registry.connectionCount();
        int max = registry.settings().maxConnections();
        return new Stats(connections, max, Capacity.percent(connections, max), registry.lobbyCount(),
                registry.settings().maxPerLobby(), nodeId.value());
    }

    @GET
    @Path("/lobbies")
    @Operation(summary = "Lobbies with members, in code order, a page at a time")
    public Response lobbies(@QueryParam("limit") @DefaultValue("100") String limitText,
            @QueryParam("cursor") String cursor) {
        int limit;
        try {
            limit = Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_PAGE) {
            return ApiError.response(Status.BAD_REQUEST, "invalid_limit", "limit must be 1 to " + MAX_PAGE);
        }
        if (cursor != null && !LobbyCode.isValid(cursor)) {
            return ApiError.response(Status.BAD_REQUEST, "invalid_cursor", "cursor must be a next_cursor value");
        }
        List<ConnectionRegistry.LobbySummary> found = registry.lobbies(cursor, limit + 1);
        boolean more = found.size() > limit;
        List<LobbyLine> page = new ArrayList<>(Math.min(limit, found.size()));
        for (ConnectionRegistry.LobbySummary lobby : found.subList(0, Math.min(limit, found.size()))) {
            page.add(new LobbyLine(lobby.code(), lobby.memberCount()));
        }
        return Response.ok(new LobbyPage(page, more ? page.get(page.size() - 1).code() : null)).build();
    }

    @GET
    @Path("/lobbies/{code}")
    @Operation(summary = "Members of one lobby; 404 when nobody is in it")
    public Response lobby(@PathParam("code") String code) {
        Session[] members = registry.members(code);
        if (members.length == 0) {
            return ApiError.response(Status.NOT_FOUND, "lobby_not_found", "nobody is in lobby " + code);
        }
        List<Member> list = new ArrayList<>(members.length);
        for (Session member : members) {
            list.add(new Member(member.userId(), member.name(), member.connectedAtMillis(), rtt(member),
                    nodeId.value()));
        }
        return Response.ok(new LobbyDetail(code, registry.settings().maxPerLobby(), list)).build();
    }

    @GET
    @Path("/users/{id}")
    @Operation(summary = "Whether a user is connected, and where")
    public Map<String, Object> user(@PathParam("id") String id, @Context RoutingContext routing) {
        String userId = DotSegmentUserIds.userId(routing, id);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("user_id", userId);
        Session session = registry.findUser(userId);
        answer.put("connected", session != null);
        if (session != null) {
            answer.put("lobby", session.lobby());
            answer.put("connected_at", session.connectedAtMillis());
            answer.put("rtt_ms", rtt(session));
            answer.put("node_id", nodeId.value());
        }
        return answer;
    }

    @POST
    @Path("/lobbies/{code}/messages")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    @Operation(summary = "Send lobby_message (from null) to every member, or all but exclude_user_id")
    public Response sendToLobby(@PathParam("code") String code, String body) {
        if (!LobbyCode.isValid(code)) {
            return ApiError.response(Status.BAD_REQUEST, "invalid_lobby", "lobby must be 1 to 64 of A-Z a-z 0-9 _ -");
        }
        if (tooLarge(body)) {
            return bodyTooLarge(maxBodyBytes);
        }
        JsonNode request = StrictJson.object(body);
        if (request == null || !request.has("data")) {
            return invalidBody("{\"data\": any JSON, \"exclude_user_id\": optional string}");
        }
        JsonNode exclude = request.get("exclude_user_id");
        if (exclude != null && !exclude.isNull() && !exclude.isTextual()) {
            return invalidBody("exclude_user_id must be a string");
        }
        String excluded = exclude == null || exclude.isNull() ? null : exclude.textValue();
        int delivered = relay.toLobby(registry.members(code), null, request.get("data"),
                member -> member.userId().equals(excluded));
        return Response.ok(new LobbyDelivery(delivered)).build();
    }

    @POST
    @Path("/users/{id}/messages")
    @Consumes(MediaType.WILDCARD) // so that AdminBodyFilter, after the key check, is what answers 415
    @Operation(summary = "Send direct_message (from null) to one user; 404 when not connected")
    public Response sendToUser(@PathParam("id") String id, @Context RoutingContext routing, String body) {
        String userId = DotSegmentUserIds.userId(routing, id);
        if (tooLarge(body)) {
            return bodyTooLarge(maxBodyBytes);
        }
        JsonNode request = StrictJson.object(body);
        if (request == null || !request.has("data")) {
            return invalidBody("{\"data\": any JSON}");
        }
        Session session = registry.findUser(userId);
        if (session == null || !session.isOpen()) {
            return userNotFound(userId);
        }
        relay.toMember(session, null, request.get("data"));
        return Response.ok(new UserDelivery(true)).build();
    }

    @POST
    @Path("/users/{id}/ping")
    @Operation(summary = "Send health_ping and wait up to timeout_ms for the pong")
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
            return Uni.createFrom().item(ApiError.response(Status.BAD_REQUEST, "invalid_timeout",
                    "timeout_ms must be 1 to " + MAX_PING_TIMEOUT_MS));
        }
        Session session = registry.findUser(userId);
        if (session == null || !session.isOpen()) {
            return Uni.createFrom().item(userNotFound(userId));
        }
        long timestamp = System.currentTimeMillis();
        var latency = pongWaiters.await(session, timestamp).completeOnTimeout(-1L, timeout, TimeUnit.MILLISECONDS);
        session.sendHealthPing(ServerMessages.healthPing(timestamp), timestamp);
        return Uni.createFrom().completionStage(latency)
                .map(ms -> Response.ok(ms < 0 ? new PingResult(false, null) : new PingResult(true, ms)).build());
    }

    @DELETE
    @Path("/users/{id}/connection")
    @Operation(summary = "Close the user's connection with 4006 kicked")
    public Response kick(@PathParam("id") String id, @Context RoutingContext routing) {
        String userId = DotSegmentUserIds.userId(routing, id);
        Session session = registry.findUser(userId);
        if (session == null || !registry.disconnect(session, CloseCode.KICKED)) {
            return userNotFound(userId);
        }
        return Response.noContent().build();
    }

    private static Long rtt(Session session) {
        long rtt = session.rttMillis();
        return rtt < 0 ? null : rtt;
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
