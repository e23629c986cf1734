package dev.lobbyhub.cluster.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import dev.lobbyhub.registry.ConnectionRegistry;
import io.smallrye.mutiny.Uni;

/**
 * The lobbies this node follows, each fed by its Redis channel with the entries of its log (seat
 * changes and messages, published by the scripts in offset order and applied by
 * {@link SeatSequencer}); the channel also carries envelopes from other nodes ({@link LobbyTraffic}).
 *
 * <p>
 * A node subscribes to a lobby's channel before it claims a seat there, and waits for Redis to
 * confirm, then reads the lobby's members and its log's last offset; every entry from then on is
 * applied after them, so no change after the claim is missed. Lobbies
 * with no member here and no admission under way are left within about a second.
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
        final SeatSequencer.Seats seats;

        Feed(SeatSequencer.Seats seats) {
            this.lobby = seats.lobby;
            this.seats = seats;
        }
    }

    private final RedisChannels channels;
    private final RedisScripts reads;
    private final String channelPrefix;
    private final ConnectionRegistry registry;
    private final SeatSequencer sequencer;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();

    LobbyFeeds(RedisChannels channels, RedisScripts reads, String keyBase, ConnectionRegistry registry,
            SeatSequencer sequencer) {
        this.channels = channels;
        this.reads = reads;
        this.channelPrefix = keyBase + "ch:lobby:";
        this.registry = registry;
        this.sequencer = sequencer;
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
        Feed feed = new Feed(sequencer.seats(lobby));
        feed.ready = channels.acquire(channel(lobby))
                .chain(() -> reads.call(LOBBY_MEMBERS, lobby))
                .invoke(snapshot -> feed.seats.start(snapshot))
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

    /**
     * After an outage, once the subscriber was replaced: follows every lobby with members here
     * again (its subscription confirmed), reads each one's members and catches up with them
     * ({@link SeatSequencer.Seats#catchUp}, which tells leaves only with {@code tellLeaves}).
     * Events that arrive meanwhile wait, and those newer than the members read follow.
     */
    Uni<Void> resync(List<String> lobbiesHere, boolean tellLeaves) {
        List<Uni<Void>> all = new ArrayList<>();
        for (String lobby : lobbiesHere) {
            Feed feed;
            synchronized (this) {
                feed = feeds.get(lobby);
                if (feed == null) {
                    feed = new Feed(sequencer.seats(lobby));
                    feed.ready = Uni.createFrom().voidItem();
                    feeds.put(lobby, feed);
                    channels.acquire(channel(lobby)).subscribe().with(held -> {
                    }, failure -> LOG.debugf("lobby %s: subscribe failed: %s", lobby, failure));
                }
            }
            Feed resynced = feed;
            resynced.seats.holdEvents();
            // A hold of its own only to wait for the subscription's confirmation.
            String channel = channel(lobby);
            all.add(channels.acquire(channel).onTermination().invoke(() -> channels.release(channel))
                    .chain(() -> reads.call(LOBBY_MEMBERS, lobby))
                    .invoke(snapshot -> resynced.seats.catchUp(snapshot, tellLeaves)).replaceWithVoid());
        }
        return Unis.all(all);
    }

    /** A member's message was handed to this node's members outside the lobby's log (Redis unreachable). */
    void deliveredOutsideLog(String lobby, String userId) {
        Feed feed = feeds.get(lobby);
        if (feed != null) {
            feed.seats.deliveredOutsideLog(userId);
        }
    }

    /** Whether a user is seated in a lobby this node follows. */
    boolean isMember(String lobby, String userId) {
        Feed feed = feeds.get(lobby);
        return feed != null && feed.seats.has(userId);
    }

    /** Whether members of the lobby are seated on other nodes too, as far as this node has heard. */
    boolean hasMembersElsewhere(String lobby) {
        Feed feed = feeds.get(lobby);
        return feed == null || feed.seats.count() > registry.members(lobby).length;
    }

    /** The lobbies followed now. */
    List<String> followed() {
        return new ArrayList<>(feeds.keySet());
    }

    /** The lobby of a channel this node follows now; null for any other channel. */
    String lobbyOf(String channel) {
        Feed feed = feedOf(channel);
        return feed == null ? null : feed.lobby;
    }

    private Feed feedOf(String channel) {
        return channel.startsWith(channelPrefix) ? feeds.get(channel.substring(channelPrefix.length())) : null;
    }

    /** A log entry on a lobby channel (the subscriber's thread, in Redis's order). */
    void onLogEntry(String channel, String payload) {
        Feed feed = feedOf(channel);
        if (feed != null) {
            feed.seats.onEntry(LoggedEntry.parse(payload));
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
