package dev.lobbyhub.cluster.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.ClusterSeating;
import dev.lobbyhub.registry.SeatEvents;
import io.vertx.mutiny.redis.client.Response;

/**
 * A lobby's seat events in the order Redis numbered them. From the members read with the sequence
 * number of the lobby's last seat change, each event with a higher number is applied, in order,
 * to this node's copy of the members (who can be sent a direct message) and, through the
 * registry, to its sessions; so no change after the read is missed and none is told twice.
 * Events that arrive before the members are read wait for them.
 */
final class SeatSequencer {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(LobbyFeeds.class);

    private final SeatEvents sessions;
    private final ClusterSeating seating;
    private final String nodeId;
    private final Runnable ownSeatLost;

    /** {@code ownSeatLost} runs when this node's own seats were freed as {@code node_lost}. */
    SeatSequencer(SeatEvents sessions, ClusterSeating seating, String nodeId, Runnable ownSeatLost) {
        this.sessions = sessions;
        this.seating = seating;
        this.nodeId = nodeId;
        this.ownSeatLost = ownSeatLost;
    }

    /** A lobby's seats, none known yet: events wait until {@link Seats#start}. */
    Seats seats(String lobby) {
        return new Seats(lobby);
    }

    /** One lobby's members as this node has heard them; its state is guarded by {@code this}. */
    final class Seats {
        final String lobby;
        /** User id to connection id, cluster-wide, as of {@link #sequence}. */
        private final Map<String, String> members = new ConcurrentHashMap<>();
        /** The last seat change applied. */
        private long sequence;
        /** Events that arrived before the members were read; null after. */
        private List<JsonNode> early = new ArrayList<>();
        /**
         * Between the two passes of a resync after Redis lost its data: the connections here that may
         * know who left meanwhile; null outside that time (then every member here may know).
         */
        private Set<String> toldBefore;

        private Seats(String lobby) {
            this.lobby = lobby;
        }

        /** Whether a user is seated in the lobby. */
        boolean has(String userId) {
            return members.containsKey(userId);
        }

        /** How many members the lobby has, on every node. */
        int count() {
            return members.size();
        }

        /** The members as of the lobby's last change; then whatever arrived meanwhile that is newer. */
        synchronized void start(Response snapshot) {
            sequence = snapshot.get(0).toLong();
            for (Response row : snapshot.get(1)) {
                members.put(row.get(0).toString(), row.get(1).toString());
            }
            replayEarly();
        }

        /** Events wait from now on, until {@link #catchUp}. */
        synchronized void holdEvents() {
            if (early == null) {
                early = new ArrayList<>();
            }
        }

        /**
         * Tells this node's members what changed while the events were lost, as if the changes had
         * been seen: who joined, who was replaced, and with {@code tellLeaves} who left
         * ({@code member_left} {@code left}); then the events that waited and are newer. When Redis
         * kept its data, the lobby's members as read are the truth and leaves are told at once
         * ({@code tellLeaves}). After Redis lost its data they are told only in a second pass, once
         * the other nodes had the time to put their members back, so that a member is not seen
         * leaving and coming back; and only to the members that were here at the first pass (a
         * member seated since never heard of the one who left).
         */
        synchronized void catchUp(Response snapshot, boolean tellLeaves) {
            long read = snapshot.get(0).toLong();
            Map<String, String> now = new LinkedHashMap<>();
            for (Response row : snapshot.get(1)) {
                now.put(row.get(0).toString(), row.get(1).toString());
            }
            Set<String> audience = null;
            if (!tellLeaves) {
                toldBefore = seating.connectionsHere(lobby);
            } else {
                // Admission waits for the resync, so whoever is here now was here before the outage.
                audience = toldBefore != null ? toldBefore : seating.connectionsHere(lobby);
            }
            for (Map.Entry<String, String> known : List.copyOf(members.entrySet())) {
                String user = known.getKey();
                String current = now.get(user);
                if (current == null) {
                    // A member of this node is not gone: it takes its seat back when this node reconciles.
                    if (!tellLeaves || seating.holds(known.getValue())) {
                        continue;
                    }
                    members.remove(user);
                    if (!seating.leaveToldHere(known.getValue())) {
                        seating.tellMissedLeave(lobby, user, audience); // a member of this node that left was told here as it closed
                    }
                } else if (!current.equals(known.getValue())) {
                    members.put(user, current);
                    sessions.replaced(lobby, user, known.getValue(), current, read);
                }
            }
            for (Map.Entry<String, String> member : now.entrySet()) {
                if (members.putIfAbsent(member.getKey(), member.getValue()) == null) {
                    sessions.joined(lobby, member.getKey(), member.getValue(), read);
                }
            }
            if (tellLeaves) {
                toldBefore = null;
            }
            sequence = read;
            replayEarly();
        }

        /** A seat event as published (the subscriber's thread, in Redis's order). */
        synchronized void onEvent(JsonNode event) {
            if (early != null) {
                early.add(event);
            } else {
                apply(event);
            }
        }

        private void replayEarly() {
            List<JsonNode> waited = early;
            early = null;
            for (JsonNode event : waited) {
                apply(event);
            }
        }

        /** Applies one seat event newer than the last one applied. */
        private void apply(JsonNode event) {
            long number = event.path("seq").asLong();
            if (number <= sequence) {
                return;
            }
            long previous = event.path("prev").asLong();
            if (previous != sequence) {
                LOG.warnf("lobby %s: seat changes after %d up to %d were not received", lobby, sequence, previous);
            }
            sequence = number;
            String user = event.path("user").asText();
            String connection = event.path("conn").asText();
            // A change this node's view already has (a member put back after an outage) is not news.
            switch (event.path("ev").asText()) {
                case "joined" -> {
                    if (!connection.equals(members.put(user, connection))) {
                        sessions.joined(lobby, user, connection, number);
                    }
                }
                case "left" -> {
                    LeaveReason reason = reason(event.path("reason").asText());
                    if (members.remove(user, connection)) {
                        sessions.left(lobby, user, connection, reason, number);
                    }
                    if (reason == LeaveReason.NODE_LOST && nodeId.equals(event.path("node").asText())) {
                        ownSeatLost.run();
                    }
                }
                case "replaced" -> {
                    members.put(user, connection);
                    sessions.replaced(lobby, user, event.path("old_conn").asText(), connection, number);
                }
                default -> LOG.debugf("lobby %s: unknown seat event %s", lobby, event);
            }
        }
    }

    private static LeaveReason reason(String wire) {
        try {
            return LeaveReason.valueOf(wire.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            return LeaveReason.LEFT;
        }
    }
}
