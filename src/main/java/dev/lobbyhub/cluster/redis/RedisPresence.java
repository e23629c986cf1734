package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import dev.lobbyhub.cluster.Presence;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Response;

/**
 * {@link Presence} of the whole cluster, read from the seat store in Redis by read-only scripts,
 * each one consistent snapshot. Totals count live nodes only. A member's {@code rttMillis} is
 * what its node last wrote, at most one {@code ping-interval} old.
 */
public final class RedisPresence implements Presence {

    private static final RedisScripts.Script LOBBY_MEMBERS = RedisScripts.load("lobby_members");
    private static final RedisScripts.Script USER_SEAT = RedisScripts.load("user_seat");
    private static final RedisScripts.Script LOBBY_PAGE = RedisScripts.load("lobby_page");
    private static final RedisScripts.Script CLUSTER_STATS = RedisScripts.load("cluster_stats");
    private static final String FIRST_PAGE = "";

    private final RedisScripts scripts;

    public RedisPresence(Redis redis, String keyPrefix, Duration timeout) {
        this(new RedisScripts(redis, keyPrefix, timeout));
    }

    RedisPresence(RedisScripts scripts) {
        this.scripts = scripts;
    }

    @Override
    public Uni<Optional<Member>> user(String userId) {
        return scripts.call(USER_SEAT, userId).map(seat -> seat.size() == 0 ? Optional.empty()
                : Optional.of(member(userId, text(seat.get(4)), seat.get(1).toString(), seat.get(3).toLong(),
                        number(seat.get(5)), seat.get(2).toString(), number(seat.size() > 6 ? seat.get(6) : null))));
    }

    /** The connection id of the user's held seat (SPEC §10), or null when it is connected or not seated. */
    Uni<String> awayConnection(String userId) {
        return scripts.call(USER_SEAT, userId).map(seat -> seat.size() > 6 && seat.get(6) != null
                ? seat.get(0).toString() : null);
    }

    @Override
    public Uni<List<Member>> lobbyMembers(String code) {
        return scripts.call(LOBBY_MEMBERS, code).map(reply -> {
            List<Member> members = new ArrayList<>();
            for (Response row : reply.get(1)) {
                members.add(member(row.get(0).toString(), text(row.get(4)), code, row.get(3).toLong(),
                        number(row.get(5)), row.get(2).toString(), number(row.size() > 6 ? row.get(6) : null)));
            }
            members.sort(Comparator.comparingLong(Member::connectedAtMillis));
            return members;
        });
    }

    @Override
    public Uni<List<LobbyCount>> lobbies(String afterCode, int limit) {
        return scripts.call(LOBBY_PAGE, afterCode == null ? FIRST_PAGE : afterCode, limit).map(reply -> {
            List<LobbyCount> page = new ArrayList<>();
            for (Response row : reply.get(0)) {
                page.add(new LobbyCount(row.get(0).toString(), row.get(1).toInteger()));
            }
            return page;
        });
    }

    @Override
    public Uni<Totals> totals() {
        return scripts.call(CLUSTER_STATS).map(reply -> {
            int connections = 0;
            int maxConnections = 0;
            List<NodeLoad> nodes = new ArrayList<>();
            for (Response node : reply.get(2)) {
                if (node.get(5).toInteger() == 1) {
                    NodeLoad load = new NodeLoad(node.get(0).toString(), node.get(1).toInteger(), node.get(2).toInteger(),
                            node.get(3).toLong());
                    nodes.add(load);
                    connections += load.connections();
                    maxConnections += load.maxConnections();
                }
            }
            return new Totals(connections, maxConnections, reply.get(1).toInteger(), nodes);
        });
    }

    /** An away member (its seat held until {@code awayUntil}, SPEC §10) has no node and no round-trip time. */
    private static Member member(String userId, String name, String lobby, long connectedAt, Long rtt, String node,
            Long awayUntil) {
        return awayUntil == null ? new Member(userId, name, lobby, connectedAt, rtt, node)
                : new Member(userId, name, lobby, connectedAt, null, null, awayUntil);
    }

    private static String text(Response value) {
        return value == null ? null : value.toString();
    }

    private static Long number(Response value) {
        return value == null ? null : value.toLong();
    }
}
