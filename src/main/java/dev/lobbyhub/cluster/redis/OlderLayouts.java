package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import org.jboss.logging.Logger;

import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;

/**
 * Counts the live nodes of the key layout before this release's (SPEC §9): during a rolling
 * upgrade they share the Redis but not the keys, so their players and this node's do not see each
 * other. Layout 1 kept its nodes' leases in {@code <prefix>:{<prefix>}:nodes}, scored by deadline.
 */
final class OlderLayouts {

    private static final Logger LOG = Logger.getLogger(RedisCluster.class);

    private final PinnedConnection pinned;
    private final String olderNodes;
    private final Duration timeout;

    OlderLayouts(PinnedConnection pinned, String keyPrefix, Duration timeout) {
        this.pinned = pinned;
        this.olderNodes = RedisScripts.layoutBase(keyPrefix) + "v" + (RedisScripts.LAYOUT - 1) + ":nodes";
        this.timeout = timeout;
    }

    /** Logs how many live nodes of the previous layout this node sees (nothing when Redis does not answer). */
    void logLiveNodes() {
        pinned.send(Request.cmd(Command.TIME))
                .chain(time -> {
                    long now = time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000;
                    return pinned.send(Request.cmd(Command.ZCOUNT).arg(olderNodes).arg(now).arg("+inf"));
                })
                .ifNoItem().after(timeout).fail()
                .subscribe().with(count -> {
                    long live = count.toLong();
                    if (live > 0) {
                        LOG.warnf("cluster: %d live node(s) of the previous release (Redis key layout %d) share this Redis;"
                                + " their players and this node's do not see each other until they reconnect here", live,
                                RedisScripts.LAYOUT - 1);
                    } else {
                        LOG.infof("cluster: no live node of an older Redis key layout (this release: layout %d)",
                                RedisScripts.LAYOUT);
                    }
                }, unanswered -> LOG.debugf("cluster: older layouts not counted: %s", unanswered));
    }
}
