package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.metrics.DropReason;
import dev.lobbyhub.metrics.LobbyhubMetrics;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * This node's end of the pub/sub wire between nodes: its {@link Envelope}s are stamped with the
 * node and the time they were sent, and all published on its {@link PinnedConnection}, so one
 * sender's frames keep their order. An envelope that arrives later than {@code cluster.redis-timeout}
 * after it was sent (it waited in a frozen Redis, or on a silent connection) is dropped.
 */
final class Wire {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisBroker.class);

    private final String nodeId;
    /** How this node's envelopes begin (see {@link Envelope#originPrefix}). */
    private final String originPrefix;
    private final String nodeChannelPrefix;
    private final PinnedConnection pinned;
    private final LobbyhubMetrics metrics;
    private final BackplaneMeters meters;
    private final Duration timeout;

    Wire(String nodeId, String keyBase, PinnedConnection pinned, LobbyhubMetrics metrics, BackplaneMeters meters,
            Duration timeout) {
        this.nodeId = nodeId;
        this.originPrefix = Envelope.originPrefix(nodeId);
        this.nodeChannelPrefix = keyBase + "ch:node:";
        this.pinned = pinned;
        this.metrics = metrics;
        this.meters = meters;
        this.timeout = timeout;
    }

    String nodeId() {
        return nodeId;
    }

    String originPrefix() {
        return originPrefix;
    }

    /** The channel a node receives its commands and answers on. */
    String nodeChannel(String node) {
        return nodeChannelPrefix + node;
    }

    ObjectNode header() {
        return Envelope.header(nodeId, System.currentTimeMillis());
    }

    /** Counts an envelope published another way (a script appending to a lobby's log). */
    void countPublished() {
        meters.published();
    }

    /** Publishes on the pinned connection; answers how many nodes received it. */
    Uni<Long> publish(String channel, String payload) {
        meters.published();
        return pinned.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload))
                .ifNoItem().after(timeout).fail()
                .map(Response::toLong);
    }

    /** Answers a request of {@code node} (null: nobody asked for an answer) on that node's channel. */
    void answer(String node, String request, JsonNode value) {
        if (node == null) {
            return;
        }
        ObjectNode header = header().put("re", request);
        header.set("v", value);
        publish(nodeChannel(node), Envelope.encode(header, "")).subscribe().with(receivers -> {
        }, failure -> LOG.debugf("answer to %s not published: %s", node, failure));
    }

    /** Counts a message of a lobby's log this node received (its own come back too). */
    void countReceived() {
        meters.received();
    }

    /** Counts an envelope received from another node; false when it came too late and is dropped (and counted). */
    boolean received(Envelope envelope) {
        meters.received();
        long sent = envelope.sentAtMillis();
        if (sent > 0 && System.currentTimeMillis() - sent > timeout.toMillis()) {
            metrics.dropped(DropReason.BACKPLANE_UNAVAILABLE);
            return false;
        }
        return true;
    }
}
