package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lobbyhub.cluster.BackplaneUnavailableException;
import dev.lobbyhub.cluster.Broker;
import dev.lobbyhub.registry.LobbyLink;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.cluster.ThisNode;
import dev.lobbyhub.delivery.Relay;
import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * Carries frames and commands between nodes over Redis pub/sub, in {@link Envelope}s, all
 * published on this node's {@link PinnedConnection} so one sender's frames keep their order.
 *
 * <ul>
 * <li>Member traffic ({@link LobbyLink}): one {@code PUBLISH} per message on the lobby's channel,
 * whatever the number of members, skipped when every member is on this node. Receiving nodes hand
 * the frame text unchanged to their members; a node drops its own echo.</li>
 * <li>Admin API ({@link Broker}): lobby messages the same way, each node answering how many of its
 * members got it, summed by the asking node; a user's direct message, kick and ping go to the node
 * that holds the user (found in Redis), which answers on the asking node's channel.</li>
 * </ul>
 */
final class RedisBroker implements Broker, LobbyLink {

    private static final Logger LOG = Logger.getLogger(RedisBroker.class);

    private final String nodeId;
    /** How this node's envelopes begin (see {@link Envelope#originPrefix}). */
    private final String originPrefix;
    private final String nodeChannelPrefix;
    private final PinnedConnection pinned;
    private final LobbyFeeds feeds;
    private final Requests requests = new Requests();
    private final ThisNode here;
    private final Presence presence;
    private final LobbyhubMetrics metrics;
    private final BackplaneMeters meters;
    private final Duration timeout;
    private final BooleanSupplier up;

    RedisBroker(String nodeId, String keyBase, PinnedConnection pinned, LobbyFeeds feeds, ThisNode here,
            Presence presence, LobbyhubMetrics metrics, BackplaneMeters meters, Duration timeout,
            BooleanSupplier up) {
        this.up = up;
        this.nodeId = nodeId;
        this.originPrefix = Envelope.originPrefix(nodeId);
        this.nodeChannelPrefix = keyBase + "ch:node:";
        this.pinned = pinned;
        this.feeds = feeds;
        this.here = here;
        this.presence = presence;
        this.metrics = metrics;
        this.meters = meters;
        this.timeout = timeout;
    }

    String nodeChannel(String node) {
        return nodeChannelPrefix + node;
    }

    // Member traffic.

    @Override
    public void toLobby(String lobby, String frame) {
        if (feeds.hasMembersElsewhere(lobby)) {
            memberTraffic(lobby, Envelope.lobbyMessage(originPrefix, System.currentTimeMillis(), frame));
        }
    }

    @Override
    public boolean toMember(String lobby, String userId, String frame) {
        if (!feeds.isMember(lobby, userId)) {
            return false;
        }
        memberTraffic(lobby, Envelope.encode(header().put("to", userId), frame));
        return true;
    }

    /**
     * Publishes a member's frame; while Redis is unreachable it is dropped (and counted). A frame that
     * reaches another node later than {@code cluster.redis-timeout} after it was sent (it waited in a
     * frozen Redis, or on a silent connection) is dropped there.
     */
    private void memberTraffic(String lobby, String envelope) {
        if (!up.getAsBoolean()) {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            return;
        }
        publish(feeds.channel(lobby), envelope).subscribe().with(receivers -> {
        }, failure -> {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            LOG.debugf("message to lobby %s not published: %s", lobby, failure);
        });
    }

    /** An envelope on a lobby channel (the subscriber's thread). */
    void onLobbyEnvelope(String lobby, Envelope envelope) {
        if (nodeId.equals(envelope.text("o"))) {
            return;
        }
        meters.received();
        if (late(envelope)) {
            return;
        }
        String to = envelope.text("to");
        int delivered;
        if (to != null) {
            delivered = here.frameToMember(lobby, to, envelope.body()) ? 1 : 0;
        } else {
            delivered = here.frameToLobby(lobby, envelope.body(), envelope.text("xu"));
        }
        String request = envelope.text("r");
        if (request != null) {
            answer(envelope.text("rn"), request, IntNode.valueOf(delivered));
        }
    }

    // Admin API.

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
        return presence.lobbyMembers(lobby).chain(members -> {
            Set<String> others = new HashSet<>();
            for (Presence.Member member : members) {
                if (!member.nodeId().equals(nodeId)) {
                    others.add(member.nodeId());
                }
            }
            if (others.isEmpty()) {
                return Uni.createFrom().item(here.frameToLobby(lobby, frame, excludedUserId));
            }
            String request = requests.open();
            ObjectNode header = header().put("r", request).put("rn", nodeId);
            if (excludedUserId != null) {
                header.put("xu", excludedUserId);
            }
            return publish(feeds.channel(lobby), Envelope.encode(header, frame))
                    .onFailure().invoke(() -> requests.cancel(request))
                    .onFailure().transform(RedisScripts::unavailable)
                    .chain(published -> {
                        int delivered = here.frameToLobby(lobby, frame, excludedUserId);
                        return requests.await(request, others, timeout)
                                .map(answers -> delivered + answers.stream().mapToInt(JsonNode::asInt).sum());
                    });
        });
    }

    @Override
    public Uni<Boolean> toUser(String userId, JsonNode data) {
        if (here.holds(userId)) {
            return here.toUser(userId, data);
        }
        return ask(userId, "dm", data.toString(), timeout).map(answer -> answer != null && answer.asBoolean());
    }

    @Override
    public Uni<Boolean> kick(String userId) {
        if (here.holds(userId)) {
            return here.kick(userId);
        }
        return ask(userId, "kick", "", timeout).map(answer -> answer != null && answer.asBoolean());
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
        if (!up.getAsBoolean()) {
            return unavailable();
        }
        return presence.user(userId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().nullItem();
            }
            String node = found.get().nodeId();
            String request = requests.open();
            ObjectNode header = header().put("c", command).put("u", userId).put("r", request).put("rn", nodeId);
            return publish(nodeChannel(node), Envelope.encode(header, body))
                    .onFailure().invoke(() -> requests.cancel(request))
                    .onFailure().transform(RedisScripts::unavailable)
                    .chain(receivers -> requests.await(request, Set.of(node), wait))
                    .map(answers -> answers.isEmpty() ? null : answers.get(0));
        });
    }

    private <T> Uni<T> unavailable() {
        return Uni.createFrom().failure(new BackplaneUnavailableException("Redis is unreachable from this node"));
    }

    private ObjectNode header() {
        return Envelope.header(nodeId, System.currentTimeMillis());
    }

    /** Sent longer than {@code cluster.redis-timeout} ago: it waited in Redis or on a silent connection, and is lost. */
    private boolean late(Envelope envelope) {
        long sent = envelope.sentAtMillis();
        if (sent > 0 && System.currentTimeMillis() - sent > timeout.toMillis()) {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            return true;
        }
        return false;
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
        meters.received();
        if (late(envelope)) {
            return;
        }
        String user = envelope.text("u");
        String request = envelope.text("r");
        String replyTo = envelope.text("rn");
        Uni<JsonNode> result = switch (String.valueOf(envelope.text("c"))) {
            case "dm" -> here.toUser(user, Envelope.json(envelope.body())).map(BooleanNode::valueOf);
            case "kick" -> here.kick(user).map(BooleanNode::valueOf);
            case "ping" -> here.ping(user, Long.parseLong(envelope.body())).map(ping -> {
                ObjectNode answer = header().put("c", ping.connected());
                return ping.latencyMillis() == null ? answer.putNull("l") : answer.put("l", ping.latencyMillis());
            });
            default -> Uni.createFrom().nullItem();
        };
        result.subscribe().with(value -> {
            if (value != null && request != null) {
                answer(replyTo, request, value);
            }
        }, failure -> LOG.debugf("command %s failed: %s", envelope.text("c"), failure));
    }

    private void answer(String node, String request, JsonNode value) {
        if (node == null) {
            return;
        }
        ObjectNode header = header().put("re", request);
        header.set("v", value);
        publish(nodeChannel(node), Envelope.encode(header, "")).subscribe().with(receivers -> {
        }, failure -> LOG.debugf("answer to %s not published: %s", node, failure));
    }

    /** Publishes on the pinned connection; answers how many nodes received it. */
    private Uni<Long> publish(String channel, String payload) {
        meters.published();
        return pinned.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload))
                .ifNoItem().after(timeout).fail()
                .map(Response::toLong);
    }
}
