package dev.lobbyhub.cluster.redis;

import java.util.Set;

import org.jboss.logging.Logger;

/**
 * Whether this node is up in the cluster, and so admits: while it is connected, registered, the
 * last probe came back and no reconciliation is due. Every part of {@link RedisCluster} reports
 * here what it saw; {@link Reconciler} brings the node back up.
 */
final class NodeStatus {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(RedisCluster.class);

    private final RedisChannels channels;
    private volatile boolean stopping;
    private volatile boolean registered;
    private volatile boolean probeAnswered;
    private volatile boolean needsReconcile;
    /** The command or subscriber connection may be dead or silent: the next reconciliation replaces both. */
    private volatile boolean connectionsSuspect;
    private volatile int liveNodes;
    /** The other nodes alive at the last look: after Redis lost its data, admission waits for them to be back. */
    private volatile Set<String> knownPeers = Set.of();

    NodeStatus(RedisChannels channels) {
        this.channels = channels;
    }

    boolean isUp() {
        return registered && !needsReconcile && probeAnswered && channels.isConnected();
    }

    boolean admits() {
        return isUp();
    }

    /**
     * Asks for a reconciliation at the next tick: this node stops admitting and reports not ready
     * until it is done. Called when the subscription ended, a probe went unanswered, the lease was
     * lost, or this node's seats were freed as {@code node_lost}.
     */
    void reconcileSoon(String why) {
        if (!needsReconcile && !stopping) {
            LOG.warnf("cluster: %s; new connections get 1013 until this node has reconciled with Redis", why);
        }
        needsReconcile = true;
    }

    /** A claim found this node's lease gone. */
    void leaseLost() {
        reconcileSoon("this node's lease ran out");
    }

    /** Redis ended the subscriber connection: every subscription is gone with it. */
    void subscriptionEnded() {
        probeAnswered = false;
        if (!stopping) {
            reconcileSoon("the Redis subscription ended");
        }
    }

    /** A probe went unanswered or a reconciliation failed: the connections are replaced at the next one. */
    void suspectConnections() {
        connectionsSuspect = true;
    }

    boolean connectionsSuspect() {
        return connectionsSuspect;
    }

    void connectionsReplaced() {
        connectionsSuspect = false;
    }

    boolean reconcileDue() {
        return needsReconcile || !registered;
    }

    /** A reconciliation begins: not registered until it is done. */
    void reconciling() {
        registered = false;
    }

    /** A reconciliation is done: this node is registered, connected and admits. */
    void reconciled() {
        needsReconcile = false;
        probeAnswered = true;
        registered = true;
    }

    boolean registered() {
        return registered;
    }

    /** The drain is over: what ends now is no reason to reconcile. */
    void stopping() {
        stopping = true;
    }

    /** What the last look at the cluster found: how many nodes are alive, and which others. */
    void saw(int nodes, Set<String> peers) {
        liveNodes = nodes;
        knownPeers = peers;
    }

    int liveNodes() {
        return liveNodes;
    }

    Set<String> knownPeers() {
        return knownPeers;
    }
}
