package dev.lobbyhub.cluster.redis;

import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.lobbyhub.cluster.ThisNode;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.registry.LobbyLink;
import io.smallrye.mutiny.Uni;

/**
 * Member traffic between nodes ({@link LobbyLink}): one {@code PUBLISH} per message on the lobby's
 * channel, whatever the number of members, skipped when every member is on this node. Receiving
 * nodes hand the frame text unchanged to their members; a node drops its own echo. The admin API's
 * lobby messages arrive the same way, and each node answers how many of its members got one.
 */
final class LobbyTraffic implements LobbyLink, SeatSequencer.Messages {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisBroker.class);

    private final Wire wire;
    private final LobbyFeeds feeds;
    private final ThisNode here;
    private final LobbyhubMetrics metrics;
    private final BooleanSupplier up;
    private final RedisLobbyLog log;
    private final boolean numbers;

    /** {@code numbers}: the lobby log is on, and members' messages go through {@code log}. */
    LobbyTraffic(Wire wire, LobbyFeeds feeds, ThisNode here, LobbyhubMetrics metrics, BooleanSupplier up,
            RedisLobbyLog log, boolean numbers) {
        this.log = log;
        this.numbers = numbers;
        this.wire = wire;
        this.feeds = feeds;
        this.here = here;
        this.metrics = metrics;
        this.up = up;
    }

    @Override
    public void toLobby(String lobby, String frame) {
        if (feeds.hasMembersElsewhere(lobby)) {
            publish(lobby, Envelope.lobbyMessage(wire.originPrefix(), System.currentTimeMillis(), frame));
        }
    }

    @Override
    public boolean toMember(String lobby, String userId, String frame) {
        if (!feeds.isMember(lobby, userId)) {
            return false;
        }
        publish(lobby, Envelope.encode(wire.header().put("to", userId), frame));
        return true;
    }

    @Override
    public boolean numbers() {
        return numbers;
    }

    @Override
    public boolean reachable() {
        return up.getAsBoolean();
    }

    @Override
    public void deliveredHere(String lobby, String fromUserId) {
        feeds.deliveredOutsideLog(lobby, fromUserId);
    }

    @Override
    public boolean hasMember(String lobby, String userId) {
        return feeds.isMember(lobby, userId);
    }

    /** One script call appends and publishes it; fails at once while Redis is unreachable. */
    @Override
    public Uni<Long> append(String lobby, String frame, String only, String except) {
        if (!up.getAsBoolean()) {
            return Uni.createFrom().failure(RedisScripts.unavailable(new IllegalStateException("backplane down")));
        }
        wire.countPublished();
        return log.append(lobby, frame, only, except, null, null);
    }

    /**
     * A message or a change of the lobby's state from its log, in offset order: to this node's members it
     * is meant for, and counted for whoever asked.
     */
    @Override
    public void deliver(String lobby, LoggedEntry message) {
        wire.countReceived();
        int delivered = here.frameAt(lobby, message.offset(), message.bareFrame(), message.only(), message.except());
        String request = message.text("r");
        if (request != null) {
            wire.answer(message.text("rn"), request, IntNode.valueOf(delivered));
        }
    }

    /**
     * Publishes a member's frame; while Redis is unreachable it is dropped (and counted). A frame that
     * reaches another node later than {@code cluster.redis-timeout} after it was sent (it waited in a
     * frozen Redis, or on a silent connection) is dropped there.
     */
    private void publish(String lobby, String envelope) {
        if (!up.getAsBoolean()) {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            return;
        }
        wire.publish(feeds.channel(lobby), envelope).subscribe().with(receivers -> {
        }, failure -> {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            LOG.debugf("message to lobby %s not published: %s", lobby, failure);
        });
    }

    /** An envelope on a lobby channel (the subscriber's thread, in Redis's order). */
    void onEnvelope(String channel, String payload) {
        String lobby = feeds.lobbyOf(channel);
        if (lobby == null || Envelope.isFrom(payload, wire.originPrefix())) {
            // This node's own publications come back too; they were delivered here already.
            return;
        }
        Envelope envelope = Envelope.decode(payload);
        if (wire.nodeId().equals(envelope.text("o")) || !wire.received(envelope)) {
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
            wire.answer(envelope.text("rn"), request, IntNode.valueOf(delivered));
        }
    }
}
