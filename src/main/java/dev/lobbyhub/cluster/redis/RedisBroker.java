package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lobbyhub.cluster.BackplaneUnavailableException;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.cluster.ThisNode;
import dev.lobbyhub.delivery.Relay;
import io.smallrye.mutiny.Uni;

/**
 * The admin API across nodes ({@link Broker}), over Redis pub/sub in {@link Envelope}s: a lobby
 * message is published on the lobby's channel, each node answering how many of its members got it
 * ({@link LobbyTraffic}), summed by the asking node; a user's direct message, kick and ping go to the
 * node that holds the user (found in Redis), which carries them out and answers on the asking
 * node's channel.
 */
final class RedisBroker implements Broker {

    private static final Logger LOG = Logger.getLogger(RedisBroker.class);

    private final RedisLobbyLog lobbyLog;
    private final Wire wire;
    private final LobbyFeeds feeds;
    private final Requests requests = new Requests();
    private final ThisNode here;
    private final RedisPresence presence;
    private final Duration timeout;
    private final BooleanSupplier up;
    private final SeatStore seats;
    private final LobbyhubMetrics metrics;

    /** {@code lobbyLog}: the lobby log, when it is on (null: off; lobby messages then go node to node). */
    RedisBroker(Wire wire, LobbyFeeds feeds, ThisNode here, RedisPresence presence, Duration timeout,
            BooleanSupplier up, RedisLobbyLog lobbyLog, SeatStore seats, LobbyhubMetrics metrics) {
        this.lobbyLog = lobbyLog;
        this.seats = seats;
        this.metrics = metrics;
        this.wire = wire;
        this.feeds = feeds;
        this.here = here;
        this.presence = presence;
        this.timeout = timeout;
        this.up = up;
    }

    /**
     * Publishes first, then delivers here: when Redis cannot take it (503), nobody gets it. The count
     * sums the answers of the nodes that hold members of the lobby, each answering for its own.
     */
    @Override
    public Uni<Integer> toLobby(String lobby, JsonNode data, String excludedUserId) {
        if (!up.getAsBoolean()) {
            return unavailable();
        }
        String frame = Relay.frame("lobby_message", null, data);
        if (lobbyLog != null) {
            return toLobbyThroughLog(lobby, frame, excludedUserId);
        }
        return presence.lobbyMembers(lobby).chain(members -> {
            Set<String> others = new HashSet<>();
            for (Presence.Member member : members) {
                if (!member.away() && !member.nodeId().equals(wire.nodeId())) {
                    others.add(member.nodeId());
                }
            }
            if (others.isEmpty()) {
                return Uni.createFrom().item(here.frameToLobby(lobby, frame, excludedUserId));
            }
            String request = requests.open();
            ObjectNode header = wire.header().put("r", request).put("rn", wire.nodeId());
            if (excludedUserId != null) {
                header.put("xu", excludedUserId);
            }
            return wire.publish(feeds.channel(lobby), Envelope.encode(header, frame))
                    .onFailure().invoke(() -> requests.cancel(request))
                    .onFailure().transform(RedisScripts::unavailable)
                    .chain(published -> {
                        int delivered = here.frameToLobby(lobby, frame, excludedUserId);
                        return requests.await(request, others, timeout)
                                .map(answers -> delivered + answers.stream().mapToInt(JsonNode::asInt).sum());
                    });
        });
    }

    /**
     * With the lobby log on: one script call appends and publishes the message; each node holding
     * members of the lobby (this one too) answers how many of them it reached as it delivers it.
     */
    private Uni<Integer> toLobbyThroughLog(String lobby, String frame, String excludedUserId) {
        return presence.lobbyMembers(lobby).chain(members -> {
            Set<String> nodes = new HashSet<>();
            for (Presence.Member member : members) {
                if (!member.away()) {
                    nodes.add(member.nodeId());
                }
            }
            if (nodes.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            String request = requests.open();
            return lobbyLog.append(lobby, frame, null, excludedUserId, request, wire.nodeId())
                    .onFailure().invoke(() -> requests.cancel(request))
                    .chain(offset -> requests.await(request, nodes, timeout))
                    .map(answers -> answers.stream().mapToInt(JsonNode::asInt).sum());
        });
    }

    /**
     * A user away (its seat held, SPEC §10) gets it through the lobby log when it comes back (with
     * the log off: nobody gets it); answered false either way, as for a user not connected.
     */
    @Override
    public Uni<Boolean> toUser(String userId, JsonNode data) {
        if (here.holds(userId)) {
            return here.toUser(userId, data);
        }
        return seated(userId).chain(found -> {
            if (found != null && found.away()) {
                if (lobbyLog == null) {
                    return Uni.createFrom().item(false);
                }
                return lobbyLog.append(found.lobby(), Relay.frame("direct_message", null, data), userId, null, null, null)
                        .onFailure().transform(RedisScripts::unavailable).replaceWith(false);
            }
            return ask(found, "dm", data.toString(), timeout).map(answer -> answer != null && answer.asBoolean());
        });
    }

    /**
     * A user away has its held seat freed ({@code member_left kicked}); a connected one is closed by its node; a
     * reservation ends.
     */
    @Override
    public Uni<Boolean> kick(String userId) {
        if (here.holds(userId)) {
            return here.kick(userId);
        }
        return seated(userId).chain(found -> {
            if (found == null && seats instanceof LobbyDirectory directory) {
                // No seat: a seat reserved for it ends (SPEC §13).
                return directory.cancelReservation(userId).onFailure().transform(RedisScripts::unavailable);
            }
            if (found == null || !found.away()) {
                return ask(found, "kick", "", timeout).map(answer -> answer != null && answer.asBoolean());
            }
            // Away (rare): its held seat's connection id, then the release that frees it.
            return presence.awayConnection(userId).chain(held -> held == null ? Uni.createFrom().item(false)
                    : seats.release(held, LeaveReason.KICKED)).onFailure().transform(RedisScripts::unavailable)
                    .chain(freed -> {
                        if (freed) {
                            metrics.seatHold(LobbyhubMetrics.HoldOutcome.FREED);
                            return Uni.createFrom().item(true);
                        }
                        // Back meanwhile (or gone): a connection of it, if any, is kicked instead.
                        return ask(userId, "kick", "", timeout).map(answer -> answer != null && answer.asBoolean());
                    });
        });
    }

    /** Where the user is seated (connected or away), or null; fails while Redis is unreachable. */
    private Uni<Presence.Member> seated(String userId) {
        if (!up.getAsBoolean()) {
            return unavailable();
        }
        return presence.user(userId).map(found -> found.orElse(null));
    }

    @Override
    public Uni<PingResult> ping(String userId, long timeoutMillis) {
        if (here.holds(userId)) {
            return here.ping(userId, timeoutMillis);
        }
        return ask(userId, "ping", Long.toString(timeoutMillis), timeout.plusMillis(timeoutMillis)).map(answer -> {
            if (answer == null || !answer.path("c").asBoolean()) {
                return PingResult.NOT_CONNECTED;
            }
            JsonNode latency = answer.get("l");
            return new PingResult(true, latency == null || latency.isNull() ? null : latency.asLong());
        });
    }

    /**
     * Sends a command about a user to the node that holds the user and waits for its answer; null
     * when the user is not connected anywhere, or the node did not answer.
     */
    private Uni<JsonNode> ask(String userId, String command, String body, Duration wait) {
        return seated(userId).chain(found -> ask(found, command, body, wait));
    }

    /** As {@link #ask(String, String, String, Duration)}, for the user found seated (null: nowhere; away: no node). */
    private Uni<JsonNode> ask(Presence.Member found, String command, String body, Duration wait) {
        if (!up.getAsBoolean()) {
            return unavailable();
        }
        if (found == null || found.away()) {
            return Uni.createFrom().nullItem();
        }
        String node = found.nodeId();
        String request = requests.open();
        ObjectNode header = wire.header().put("c", command).put("u", found.userId()).put("r", request)
                .put("rn", wire.nodeId());
        return wire.publish(wire.nodeChannel(node), Envelope.encode(header, body))
                .onFailure().invoke(() -> requests.cancel(request))
                .onFailure().transform(RedisScripts::unavailable)
                .chain(receivers -> requests.await(request, Set.of(node), wait))
                .map(answers -> answers.isEmpty() ? null : answers.get(0));
    }

    private <T> Uni<T> unavailable() {
        return Uni.createFrom().failure(new BackplaneUnavailableException("Redis is unreachable from this node"));
    }

    /** A message on this node's channel (the subscriber's thread): a command to carry out, or an answer. */
    void onNodeMessage(String payload) {
        if (!Envelope.isEnvelope(payload)) {
            return;
        }
        Envelope envelope = Envelope.decode(payload);
        String answered = envelope.text("re");
        if (answered != null) {
            requests.answered(answered, envelope.text("o"), envelope.header().get("v"));
            return;
        }
        if (!wire.received(envelope)) {
            return;
        }
        String user = envelope.text("u");
        String request = envelope.text("r");
        String replyTo = envelope.text("rn");
        Uni<JsonNode> result = switch (String.valueOf(envelope.text("c"))) {
            case "dm" -> here.toUser(user, Envelope.json(envelope.body())).map(BooleanNode::valueOf);
            case "kick" -> here.kick(user).map(BooleanNode::valueOf);
            case "ping" -> here.ping(user, Long.parseLong(envelope.body())).map(ping -> {
                ObjectNode answer = wire.header().put("c", ping.connected());
                return ping.latencyMillis() == null ? answer.putNull("l") : answer.put("l", ping.latencyMillis());
            });
            default -> Uni.createFrom().nullItem();
        };
        result.subscribe().with(value -> {
            if (value != null && request != null) {
                wire.answer(replyTo, request, value);
            }
        }, failure -> LOG.debugf("command %s failed: %s", envelope.text("c"), failure));
    }
}
