package dev.lobbyhub.cluster.redis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.registry.SeatEvents;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

/**
 * The lobbies this node has members in, each fed by its Redis channel with seat events (published
 * by the scripts, in commit order); the channel also carries envelopes from other nodes
 * ({@link LobbyTraffic}).
 *
 * <p>
 * A node subscribes to a lobby's channel before it claims a seat there, and waits for Redis to
 * confirm, then reads the lobby's members and the sequence number of its last seat change. From
 * then on it applies each seat event with a higher number, in order, to its own copy of the
 * members (who can be sent a direct message) and, through the registry, to its sessions; so no
 * change after the claim is missed and none is told twice. Lobbies with no member here and no
 * admission under way are left within about a second.
 */
final class LobbyFeeds {

    private static final Logger LOG = Logger.getLogger(LobbyFeeds.class);
    private static final RedisScripts.Script LOBBY_MEMBERS = RedisScripts.load("lobby_members");

    /** One lobby as this node follows it. */
    static final class Feed {
        final String lobby;
        /** Completes once subscribed and the members read; shared by every admission meanwhile. */
        Uni<Void> ready;
        /** Admissions under way here; guarded by the {@link LobbyFeeds}. */
        int admitting;
        /** User id to connection id, cluster-wide, as of {@link #sequence}. */
        final Map<String, String> members = new ConcurrentHashMap<>();
        /** The last seat change applied; guarded by {@code this}. */
        private long sequence;
        /** Events that arrived before the members were read; null after. Guarded by {@code this}. */
        private List<JsonNode> early = new ArrayList<>();
        /**
         * Between the two passes of a resync after Redis lost its data: the connections here that may
         * know who left meanwhile; null outside that time (then every member here may know).
         */
        private Set<String> toldBefore;

        Feed(String lobby) {
            this.lobby = lobby;
        }
    }

    private final RedisChannels channels;
    private final RedisScripts reads;
    private final String channelPrefix;
    private final SeatEvents sessions;
    private final ConnectionRegistry registry;
    private final String nodeId;
    private final Runnable ownSeatLost;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();

    LobbyFeeds(RedisChannels channels, RedisScripts reads, String keyBase, SeatEvents sessions,
            ConnectionRegistry registry, String nodeId, Runnable ownSeatLost) {
        this.nodeId = nodeId;
        this.ownSeatLost = ownSeatLost;
        this.channels = channels;
        this.reads = reads;
        this.channelPrefix = keyBase + "ch:lobby:";
        this.sessions = sessions;
        this.registry = registry;
    }

    String channel(String lobby) {
        return channelPrefix + lobby;
    }

    /** Follows the lobby (if not yet) for an admission; pair with {@link #admitted}. */
    Uni<Feed> acquire(String lobby) {
        Feed feed;
        synchronized (this) {
            feed = feeds.get(lobby);
            if (feed == null) {
                feed = open(lobby);
            }
            feed.admitting++;
        }
        Feed acquired = feed;
        return feed.ready.replaceWith(acquired);
    }

    /** The admission that acquired the feed is over, seated or not. */
    synchronized void admitted(Feed feed) {
        feed.admitting--;
    }

    private Feed open(String lobby) {
        Feed feed = new Feed(lobby);
        feed.ready = channels.acquire(channel(lobby))
                .chain(() -> reads.call(LOBBY_MEMBERS, lobby))
                .invoke(snapshot -> start(feed, snapshot))
                .onFailure().invoke(failure -> {
                    synchronized (this) {
                        if (feeds.remove(lobby, feed)) {
                            channels.release(channel(lobby));
                        }
                    }
                })
                .replaceWithVoid()
                .memoize().indefinitely();
        feeds.put(lobby, feed);
        return feed;
    }

    /** The members as of the lobby's last change; then whatever arrived meanwhile that is newer. */
    private void start(Feed feed, Response snapshot) {
        synchronized (feed) {
            feed.sequence = snapshot.get(0).toLong();
            for (Response row : snapshot.get(1)) {
                feed.members.put(row.get(0).toString(), row.get(1).toString());
            }
            replayEarly(feed);
        }
    }

    private void replayEarly(Feed feed) {
        List<JsonNode> early = feed.early;
        feed.early = null;
        for (JsonNode event : early) {
            apply(feed, event);
        }
    }

    /**
     * After an outage, once the subscriber was replaced: follows every lobby with members here
     * again (its subscription confirmed), reads each one's members and tells this node's members
     * what changed meanwhile, as if the changes had been seen: who joined, who was replaced, and
     * with {@code tellLeaves} who left ({@code member_left} {@code left}). Events that arrive
     * meanwhile wait, and those newer than the members read follow. When Redis kept its data, the
     * lobby's members as read are the truth and leaves are told at once ({@code tellLeaves}). After
     * Redis lost its data they are told only in a second pass, once the other nodes had the time to
     * put their members back, so that a member is not seen leaving and coming back; and only to the
     * members that were here at the first pass (a member seated since never heard of the one who left).
     */
    Uni<Void> resync(List<String> lobbiesHere, boolean tellLeaves) {
        List<Uni<Void>> all = new ArrayList<>();
        for (String lobby : lobbiesHere) {
            Feed feed;
            synchronized (this) {
                feed = feeds.get(lobby);
                if (feed == null) {
                    feed = new Feed(lobby);
                    feed.ready = Uni.createFrom().voidItem();
                    feeds.put(lobby, feed);
                    channels.acquire(channel(lobby)).subscribe().with(held -> {
                    }, failure -> LOG.debugf("lobby %s: subscribe failed: %s", lobby, failure));
                }
            }
            Feed resynced = feed;
            synchronized (resynced) {
                if (resynced.early == null) {
                    resynced.early = new ArrayList<>();
                }
            }
            // A hold of its own only to wait for the subscription's confirmation.
            String channel = channel(lobby);
            all.add(channels.acquire(channel).onTermination().invoke(() -> channels.release(channel))
                    .chain(() -> reads.call(LOBBY_MEMBERS, lobby))
                    .invoke(snapshot -> catchUp(resynced, snapshot, tellLeaves)).replaceWithVoid());
        }
        return all.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(all).andFailFast().replaceWithVoid();
    }

    private void catchUp(Feed feed, Response snapshot, boolean tellLeaves) {
        synchronized (feed) {
            long sequence = snapshot.get(0).toLong();
            Map<String, String> now = new LinkedHashMap<>();
            for (Response row : snapshot.get(1)) {
                now.put(row.get(0).toString(), row.get(1).toString());
            }
            Set<String> audience = null;
            if (!tellLeaves) {
                feed.toldBefore = connectionsHere(feed.lobby);
            } else {
                // Admission waits for the resync, so whoever is here now was here before the outage.
                audience = feed.toldBefore != null ? feed.toldBefore : connectionsHere(feed.lobby);
            }
            for (Map.Entry<String, String> known : List.copyOf(feed.members.entrySet())) {
                String user = known.getKey();
                String current = now.get(user);
                if (current == null) {
                    // A member of this node is not gone: it takes its seat back when this node reconciles.
                    if (!tellLeaves || registry.holds(known.getValue())) {
                        continue;
                    }
                    feed.members.remove(user);
                    if (!registry.leaveToldHere(known.getValue())) {
                        tellLeft(feed, user, audience); // a member of this node that left was told here as it closed
                    }
                } else if (!current.equals(known.getValue())) {
                    feed.members.put(user, current);
                    sessions.replaced(feed.lobby, user, known.getValue(), current, sequence);
                }
            }
            for (Map.Entry<String, String> member : now.entrySet()) {
                if (feed.members.putIfAbsent(member.getKey(), member.getValue()) == null) {
                    sessions.joined(feed.lobby, member.getKey(), member.getValue(), sequence);
                }
            }
            if (tellLeaves) {
                feed.toldBefore = null;
            }
            feed.sequence = sequence;
            replayEarly(feed);
        }
    }

    /** A member of another node that left while the events were lost: told to the members here that knew it. */
    private void tellLeft(Feed feed, String user, Set<String> audience) {
        String frame = ServerMessages.memberLeft(user, LeaveReason.LEFT.wire());
        for (Session member : registry.members(feed.lobby)) {
            if (audience.contains(member.connectionId())) {
                member.send(frame);
            }
        }
    }

    private Set<String> connectionsHere(String lobby) {
        Set<String> here = new HashSet<>();
        for (Session member : registry.members(lobby)) {
            here.add(member.connectionId());
        }
        return here;
    }

    /** Whether a user is seated in a lobby this node follows. */
    boolean isMember(String lobby, String userId) {
        Feed feed = feeds.get(lobby);
        return feed != null && feed.members.containsKey(userId);
    }

    /** Whether members of the lobby are seated on other nodes too, as far as this node has heard. */
    boolean hasMembersElsewhere(String lobby) {
        Feed feed = feeds.get(lobby);
        return feed == null || feed.members.size() > registry.members(lobby).length;
    }

    /** The lobbies followed now. */
    List<String> followed() {
        return new ArrayList<>(feeds.keySet());
    }

    boolean follows(String lobby) {
        return feeds.containsKey(lobby);
    }

    /** The lobby of a channel this node follows now; null for any other channel. */
    String lobbyOf(String channel) {
        Feed feed = feedOf(channel);
        return feed == null ? null : feed.lobby;
    }

    private Feed feedOf(String channel) {
        return channel.startsWith(channelPrefix) ? feeds.get(channel.substring(channelPrefix.length())) : null;
    }

    /** A seat event on a lobby channel (the subscriber's thread, in Redis's order). */
    void onSeatEvent(String channel, String payload) {
        Feed feed = feedOf(channel);
        if (feed == null) {
            return;
        }
        JsonNode event = Envelope.json(payload);
        synchronized (feed) {
            if (feed.early != null) {
                feed.early.add(event);
            } else {
                apply(feed, event);
            }
        }
    }

    /** Applies one seat event newer than the last one applied; under the feed's lock. */
    private void apply(Feed feed, JsonNode event) {
        long sequence = event.path("seq").asLong();
        if (sequence <= feed.sequence) {
            return;
        }
        long previous = event.path("prev").asLong();
        if (previous != feed.sequence) {
            LOG.warnf("lobby %s: seat changes after %d up to %d were not received", feed.lobby, feed.sequence, previous);
        }
        feed.sequence = sequence;
        String user = event.path("user").asText();
        String connection = event.path("conn").asText();
        // A change this node's view already has (a member put back after an outage) is not news.
        switch (event.path("ev").asText()) {
            case "joined" -> {
                if (!connection.equals(feed.members.put(user, connection))) {
                    sessions.joined(feed.lobby, user, connection, sequence);
                }
            }
            case "left" -> {
                LeaveReason reason = reason(event.path("reason").asText());
                if (feed.members.remove(user, connection)) {
                    sessions.left(feed.lobby, user, connection, reason, sequence);
                }
                if (reason == LeaveReason.NODE_LOST && nodeId.equals(event.path("node").asText())) {
                    ownSeatLost.run();
                }
            }
            case "replaced" -> {
                feed.members.put(user, connection);
                sessions.replaced(feed.lobby, user, event.path("old_conn").asText(), connection, sequence);
            }
            default -> LOG.debugf("lobby %s: unknown seat event %s", feed.lobby, event);
        }
    }

    private static LeaveReason reason(String wire) {
        try {
            return LeaveReason.valueOf(wire.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            return LeaveReason.LEFT;
        }
    }

    /**
     * Stops following lobbies with no member on this node and no admission under way. The feed goes
     * and its channel's hold is given back in one step under this lock, as an admission's new feed
     * takes one, so the channel's subscriptions follow the feeds in order.
     */
    void leaveIdle() {
        for (Feed feed : feeds.values()) {
            synchronized (this) {
                if (feed.admitting > 0 || registry.members(feed.lobby).length > 0 || feeds.get(feed.lobby) != feed) {
                    continue;
                }
                feeds.remove(feed.lobby);
                channels.release(channel(feed.lobby));
            }
        }
    }

}
