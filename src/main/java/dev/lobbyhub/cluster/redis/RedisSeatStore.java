package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lobbyhub.protocol.PropertyMatch;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.LobbyStates;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.registry.StateAnswer;
import dev.lobbyhub.registry.StateAnswer.Refusal;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;

/**
 * {@link SeatStore} on Redis: {@code claim.lua} and {@code release.lua} decide each seat in one
 * atomic script, reading time from Redis ({@code TIME}), never from a node's clock, and publish
 * the seat change on the lobby's channel in the same step, so every node sees a lobby's changes in
 * commit order.
 */
public final class RedisSeatStore implements SeatStore, LobbyStates, LobbyDirectory {

    private static final RedisScripts.Script CLAIM = RedisScripts.load("claim");
    private static final RedisScripts.Script DIRECTORY = RedisScripts.load("directory");
    /** The most public lobbies one directory page looks at, so a call with rare filters stays short in Redis. */
    static final int LIST_SCAN = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RedisScripts.Script LOBBY_STATE = RedisScripts.load("lobby_state");
    private static final RedisScripts.Script RELEASE = RedisScripts.load("release");
    /** How seat events are published (Redis 7 Cluster would use SPUBLISH). */
    private static final String PUBLISH = "PUBLISH";

    private final RedisScripts scripts;
    /** How long a seat is held for its user's return (SPEC §10); 0: never. */
    private final long holdMillis;
    /** How long a reserved seat waits for its user (SPEC §13). */
    private final long reservationMillis;

    public RedisSeatStore(Redis redis, String keyPrefix, Duration timeout) {
        this(redis, keyPrefix, timeout, 15_000);
    }

    /** With reservations that last {@code reservationMillis}. */
    RedisSeatStore(Redis redis, String keyPrefix, Duration timeout, long reservationMillis) {
        this.scripts = new RedisScripts(redis, keyPrefix, timeout);
        this.holdMillis = 0;
        this.reservationMillis = reservationMillis;
    }

    /** Claims and releases sent on one connection, so Redis runs them in the order they were given. */
    RedisSeatStore(PinnedConnection connection, String keyPrefix, Duration timeout, long holdMillis,
            long reservationMillis) {
        this.scripts = new RedisScripts(connection::send, keyPrefix, timeout);
        this.holdMillis = holdMillis;
        this.reservationMillis = reservationMillis;
    }

    @Override
    public Uni<Claim> claim(Seat seat, int maxPerLobby, OnDuplicate onDuplicate) {
        String mode = onDuplicate == OnDuplicate.REJECT ? "reject" : "replace";
        return scripts.call(CLAIM, PUBLISH, seat.lobby(), seat.userId(), seat.connectionId(), seat.nodeId(),
                maxPerLobby, mode, seat.name() == null ? "" : seat.name(), holdMillis).map(RedisSeatStore::claimed);
    }

    /**
     * Takes back the seat of a connection that stayed open while this node lost its place (its lease
     * ran out, or Redis lost its data: {@code restore}, which does not check the lobby's limit). Never
     * displaces a newer connection of the user ({@link CloseCode#DUPLICATE_SESSION}).
     */
    Uni<Claim> reclaim(Seat seat, int maxPerLobby, boolean restore) {
        return scripts.call(CLAIM, PUBLISH, seat.lobby(), seat.userId(), seat.connectionId(), seat.nodeId(),
                maxPerLobby, restore ? "restore" : "reclaim", seat.name() == null ? "" : seat.name(), holdMillis)
                .map(RedisSeatStore::claimed);
    }

    @Override
    public Uni<Boolean> release(String connectionId, LeaveReason reason) {
        return scripts.call(RELEASE, PUBLISH, connectionId, reason.wire()).map(reply -> reply.get(0).toLong() == 1L);
    }

    /** Held (answered true) or freed as asked; false when it had no seat or was held already. */
    @Override
    public Uni<Boolean> release(String connectionId, LeaveReason reason, long holdMillis) {
        if (holdMillis <= 0) {
            return release(connectionId, reason);
        }
        return scripts.call(RELEASE, PUBLISH, connectionId, reason.wire(), holdMillis)
                .map(reply -> reply.get(0).toLong() != 0L);
    }

    private static Claim claimed(Response reply) {
        String status = reply.get(0).toString();
        switch (status) {
            case "ok":
            case "exists":
                List<String> members = userIds(reply.get(2));
                Displaced displaced = reply.get(3) == null ? null
                        : new Displaced(reply.get(3).toString(), reply.get(4).toString(), reply.get(5).toString());
                return new Seated(reply.get(1).toLong(), members, displaced, reply.get(6).toLong(),
                        reply.get(7).toLong(), reply.get(8) == null ? null : reply.get(8).toString(),
                        holdEnded(reply.get(9)), userIds(reply.get(10)), state(reply.size() > 11 ? reply.get(11) : null));
            case "lobby_full":
                return new Refused(CloseCode.LOBBY_FULL);
            case "lobby_locked":
                return new Refused(CloseCode.LOBBY_LOCKED);
            case "forbidden":
                // Kicked out of this lobby by its owner (SPEC §12).
                return new Refused(CloseCode.FORBIDDEN);
            case "duplicate_session":
                return new Refused(CloseCode.DUPLICATE_SESSION);
            case "node_expired":
                // This node's lease lapsed: it must register again before it admits anyone.
                return new Refused(CloseCode.BACKPLANE_UNAVAILABLE);
            case "conn_closed":
                // The connection was released before its claim arrived: it is gone already.
                return new Refused(CloseCode.NORMAL);
            default:
                throw new IllegalStateException("unexpected claim reply " + status);
        }
    }

    @Override
    public Uni<StateAnswer> updateLobby(String lobby, String by, LobbyUpdate update) {
        List<Object> args = new ArrayList<>(List.of(PUBLISH, "update", lobby, by == null ? "" : by,
                update.locked() == null ? "" : update.locked() ? "1" : "0", orEmpty(update.visibility()),
                orEmpty(update.maxMembers()), orEmpty(update.properties()), orEmpty(update.expectedVersion())));
        if (update.properties() != null) {
            // The directory matches on these (SPEC §13).
            PropertyMatch.tokens(update.properties()).forEach((key, token) -> {
                args.add(key);
                args.add(token);
            });
        }
        return scripts.call(LOBBY_STATE, args.toArray()).map(RedisSeatStore::stateAnswer);
    }

    @Override
    public Uni<Page> list(Query query, String afterCode, int limit) {
        return scripts.call(DIRECTORY, PUBLISH, "list", afterCode == null ? "" : afterCode, limit, LIST_SCAN,
                queryJson(query)).map(reply -> {
                    Response rows = reply.get(0);
                    List<Listed> lobbies = new ArrayList<>(rows.size());
                    for (Response row : rows) {
                        lobbies.add(new Listed(row.get(0).toString(), row.get(1).toInteger(), row.get(2).toInteger(),
                                row.get(3) == null ? null : row.get(3).toString(), row.get(4).toInteger() == 1,
                                row.get(5).toString()));
                    }
                    return new Page(lobbies, reply.get(1) == null ? null : reply.get(1).toString());
                });
    }

    @Override
    public Uni<QuickJoin> quickJoin(String userId, Query query, NewLobby ifNone) {
        return scripts.call(DIRECTORY, PUBLISH, "quick", userId, reservationMillis, queryJson(query),
                ifNone == null ? "" : lobbyJson(ifNone)).map(reply -> switch (reply.get(0).toString()) {
                    case "placed" -> new Placed(reply.get(1).toString(), reply.get(2).toInteger() == 1,
                            reply.get(3).toLong());
                    case "no_lobby" -> new NoLobby();
                    case "code_taken" -> new CodeTaken();
                    default -> throw new IllegalStateException("unexpected quick join reply " + reply);
                });
    }

    @Override
    public Uni<PartyAnswer> reserve(String lobby, List<String> userIds) {
        List<Object> args = new ArrayList<>(List.of(PUBLISH, "reserve", lobby, reservationMillis));
        args.addAll(userIds);
        return scripts.call(DIRECTORY, args.toArray()).map(reply -> switch (reply.get(0).toString()) {
            case "ok" -> PartyAnswer.RESERVED;
            case "lobby_full" -> PartyAnswer.LOBBY_FULL;
            case "no_lobby" -> PartyAnswer.NO_LOBBY;
            case "forbidden" -> PartyAnswer.FORBIDDEN;
            default -> throw new IllegalStateException("unexpected reserve reply " + reply);
        });
    }

    @Override
    public Uni<LobbyState> create(NewLobby lobby) {
        return scripts.call(DIRECTORY, PUBLISH, "create", reservationMillis, lobbyJson(lobby))
                .map(reply -> "ok".equals(reply.get(0).toString()) ? state(reply.get(1)) : null);
    }

    @Override
    public Uni<Boolean> cancelReservation(String userId) {
        return scripts.call(DIRECTORY, PUBLISH, "cancel", userId).map(reply -> reply.get(1).toInteger() == 1);
    }

    /** A query as directory.lua reads it: {@code {"m": {key: [tokens]}, "space": bool, "only": [codes]}}. */
    static String queryJson(Query query) {
        ObjectNode json = JSON.createObjectNode();
        ObjectNode match = json.putObject("m");
        query.match().forEach((key, tokens) -> {
            ArrayNode accepted = match.putArray(key);
            tokens.forEach(accepted::add);
        });
        json.put("space", query.hasSpace());
        if (query.only() != null) {
            ArrayNode only = json.putArray("only");
            query.only().forEach(only::add);
        }
        return json.toString();
    }

    /** A lobby to make as directory.lua reads it; the owner left out when there is none. */
    static String lobbyJson(NewLobby lobby) {
        ObjectNode json = JSON.createObjectNode();
        json.put("code", lobby.code());
        if (lobby.owner() != null) {
            json.put("owner", lobby.owner());
        }
        json.put("vis", lobby.visibility());
        json.put("max", lobby.maxMembers());
        json.put("props", lobby.properties());
        ObjectNode tokens = json.putObject("tok");
        lobby.tokens().forEach(tokens::put);
        return json.toString();
    }

    @Override
    public Uni<StateAnswer> updateMember(String lobby, String userId, String properties) {
        return scripts.call(LOBBY_STATE, PUBLISH, "member", lobby, userId, properties).map(RedisSeatStore::stateAnswer);
    }

    @Override
    public Uni<StateAnswer> kick(String lobby, String by, String userId) {
        return scripts.call(LOBBY_STATE, PUBLISH, "kick", lobby, by, userId).map(RedisSeatStore::stateAnswer);
    }

    @Override
    public Uni<StateAnswer> setOwner(String lobby, String userId) {
        return scripts.call(LOBBY_STATE, PUBLISH, "owner", lobby, userId).map(RedisSeatStore::stateAnswer);
    }

    @Override
    public Uni<Optional<LobbyState>> state(String lobby) {
        return scripts.call(LOBBY_STATE, PUBLISH, "get", lobby).map(reply -> Optional.ofNullable(state(reply.get(1))));
    }

    private static String orEmpty(Object value) {
        return value == null ? "" : value.toString();
    }

    private static StateAnswer stateAnswer(Response reply) {
        return switch (reply.get(0).toString()) {
            case "ok" -> new StateAnswer.Changed(state(reply.get(1)));
            case "not_owner" -> new StateAnswer.Refused(Refusal.NOT_OWNER);
            case "version_conflict" -> new StateAnswer.Refused(Refusal.VERSION_CONFLICT);
            case "not_member" -> new StateAnswer.Refused(Refusal.NOT_MEMBER);
            case "no_lobby" -> new StateAnswer.Refused(Refusal.NO_LOBBY);
            default -> throw new IllegalStateException("unexpected lobby_state reply " + reply);
        };
    }

    /** A state as the scripts reply it ({@code lib.lua} state_reply), or null for none. */
    static LobbyState state(Response reply) {
        if (reply == null || reply.size() < 7) {
            return null;
        }
        Map<String, String> members = new LinkedHashMap<>();
        Response flat = reply.get(6);
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            members.put(flat.get(i).toString(), flat.get(i + 1).toString());
        }
        String owner = reply.get(0).toString();
        return new LobbyState(owner.isEmpty() ? null : owner, reply.get(1).toLong() == 1L, reply.get(2).toString(),
                reply.get(3).toInteger(), reply.get(4).toString(), reply.get(5).toLong(),
                members.isEmpty() ? Map.of() : Collections.unmodifiableMap(members),
                reply.size() > 7 ? reply.get(7).toInteger() : 0);
    }

    private static List<String> userIds(Response list) {
        if (list == null) {
            return List.of();
        }
        List<String> ids = new ArrayList<>(list.size());
        for (Response id : list) {
            ids.add(id.toString());
        }
        return ids;
    }

    private static HoldEnded holdEnded(Response hold) {
        if (hold == null) {
            return null;
        }
        return switch (hold.toString()) {
            case "returned" -> HoldEnded.RETURNED;
            case "freed" -> HoldEnded.FREED;
            default -> null;
        };
    }
}
