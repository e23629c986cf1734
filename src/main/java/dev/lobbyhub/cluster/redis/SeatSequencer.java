package dev.lobbyhub.cluster.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.registry.ClusterSeating;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.SeatEvents;
import io.vertx.mutiny.redis.client.Response;

/**
 * A lobby's log entries (seat changes and messages) in the order Redis numbered them (SPEC §11).
 * From the members read with the lobby's last offset, each entry with a higher offset is applied,
 * in order: a seat change to this node's copy of the members (who can be sent a direct message)
 * and, through the registry, to its sessions; a message to the members here it is meant for. So
 * no change after the read is missed and none is told twice. Entries that arrive before the
 * members are read wait for them.
 *
 * <p>
 * An entry whose offset is not the next one shows that some were missed (the subscription
 * dropped them): later ones wait while the missing ones are read back from the log, then all
 * follow in order. Entries the log no longer holds, or that do not come within
 * {@code cluster.redis-timeout}, are a {@code gap} for this node's members. An entry of another
 * epoch (Redis lost the log) is preceded by {@code log_reset}.
 */
final class SeatSequencer {

    /** The category these lines were always logged under. */
    private static final Logger LOG = Logger.getLogger(LobbyFeeds.class);

    /** Where a lobby's messages go on this node (and the answer to whoever counts them). */
    interface Messages {
        void deliver(String lobby, LoggedEntry message);
    }

    private final SeatEvents sessions;
    private final ClusterSeating seating;
    private final ConnectionRegistry registry;
    private final RedisLobbyLog log;
    private final Messages messages;
    private final LobbyhubMetrics metrics;
    private final String nodeId;
    private final Runnable ownSeatLost;

    /** {@code ownSeatLost} runs when this node's own seats were freed as {@code node_lost}. */
    SeatSequencer(SeatEvents sessions, ClusterSeating seating, ConnectionRegistry registry, RedisLobbyLog log,
            Messages messages, LobbyhubMetrics metrics, String nodeId, Runnable ownSeatLost) {
        this.sessions = sessions;
        this.seating = seating;
        this.registry = registry;
        this.log = log;
        this.messages = messages;
        this.metrics = metrics;
        this.nodeId = nodeId;
        this.ownSeatLost = ownSeatLost;
    }

    /** A lobby's seats, none known yet: entries wait until {@link Seats#start}. */
    Seats seats(String lobby) {
        return new Seats(lobby);
    }

    /** One lobby's members and log position as this node has heard them; its state is guarded by {@code this}. */
    final class Seats {
        final String lobby;
        /** User id to connection id, cluster-wide, as of {@link #offset}. */
        private final Map<String, String> members = new ConcurrentHashMap<>();
        /** The away members (their seats held, SPEC §10), with the reason their lobby is told when the hold ends. */
        private final Map<String, LeaveReason> away = new ConcurrentHashMap<>();
        /** The last entry applied. */
        private long offset;
        /** The log's epoch as last heard; null before the lobby's first entry. */
        private String epoch;
        /** Entries that arrived before the members were read; null after. */
        private List<LoggedEntry> early = new ArrayList<>();
        /** Entries that arrived while missing ones are read back from the log; null while none are. */
        private List<LoggedEntry> waiting;
        /** Counts read-backs begun: the answer of one that a later one took over is ignored. */
        private long generation;
        /**
         * Between the two passes of a resync after Redis lost its data: the connections here that may
         * know who left meanwhile; null outside that time (then every member here may know).
         */
        private Set<String> toldBefore;
        /**
         * Members of this node whose messages this node handed to its members outside the log while
         * Redis could not be reached; until the next catch-up, their earlier messages read back from
         * the log are not handed out here (they would come after later ones: one sender's order wins
         * over delivery, which is at most once).
         */
        private final Set<String> deliveredOutsideLog = ConcurrentHashMap.newKeySet();
        /** The lobby's state (SPEC §12) as this node's members were told it; null before it is read. */
        private LobbyState state;

        private Seats(String lobby) {
            this.lobby = lobby;
        }

        /** A member of this node had a message handed out here outside the log (Redis unreachable). */
        void deliveredOutsideLog(String userId) {
            deliveredOutsideLog.add(userId);
        }

        /** Whether a user is seated in the lobby. */
        boolean has(String userId) {
            return members.containsKey(userId);
        }

        /** How many members the lobby has, on every node. */
        int count() {
            return members.size();
        }

        /** The members as of the lobby's last entry; then whatever arrived meanwhile that is newer. */
        synchronized void start(Response snapshot) {
            offset = snapshot.get(0).toLong();
            epoch = epochOf(snapshot);
            state = stateOf(snapshot);
            for (Response row : snapshot.get(1)) {
                members.put(row.get(0).toString(), row.get(1).toString());
                noteAway(row);
            }
            replayEarly();
        }

        /** Entries wait from now on, until {@link #catchUp}. */
        synchronized void holdEvents() {
            if (early == null) {
                early = new ArrayList<>();
            }
        }

        /**
         * Tells this node's members what changed while the entries were lost, as if the changes had
         * been seen: who joined, who was replaced, and with {@code tellLeaves} who left
         * ({@code member_left} {@code left}); then the entries that waited and are newer. When Redis
         * kept its data, the lobby's members as read are the truth and leaves are told at once
         * ({@code tellLeaves}). After Redis lost its data they are told only in a second pass, once
         * the other nodes had the time to put their members back, so that a member is not seen
         * leaving and coming back; and only to the members that were here at the first pass (a
         * member seated since never heard of the one who left). These catch-up frames are not in
         * the log and carry no offset; when the log itself was lost, members first hear
         * {@code log_reset}.
         */
        synchronized void catchUp(Response snapshot, boolean tellLeaves) {
            // This catch-up takes over a read-back under way: the entries waiting for it wait for this one.
            generation++;
            List<LoggedEntry> arrived = new ArrayList<>();
            if (waiting != null) {
                arrived.addAll(waiting);
                waiting = null;
            }
            if (early != null) {
                arrived.addAll(early);
            }
            early = arrived;
            long read = snapshot.get(0).toLong();
            String readEpoch = epochOf(snapshot);
            if (registry.logOn() && readEpoch != null && readEpoch.equals(epoch) && read > offset) {
                // The same log: what was missed is read back first and applied in order, messages
                // included; then whatever the log no longer holds is caught up from the members read.
                waiting = early;
                early = null;
                long begun = generation;
                log.readLogged(lobby, offset, read).subscribe().with(
                        entries -> caughtUp(begun, snapshot, tellLeaves, read, entries),
                        unreadable -> caughtUp(begun, snapshot, tellLeaves, read, List.of()));
                return;
            }
            finishCatchUp(snapshot, tellLeaves);
        }

        /** The entries missed before {@code read}, read back (maybe not all), then the rest of the catch-up. */
        private synchronized void caughtUp(long begun, Response snapshot, boolean tellLeaves, long read,
                List<LoggedEntry> entries) {
            if (begun != generation) {
                return; // a later catch-up took over
            }
            List<LoggedEntry> arrived = waiting;
            waiting = null;
            for (LoggedEntry entry : entries) {
                long number = entry.offset();
                if (number <= offset || number > read || !entry.epoch().equals(epoch)) {
                    continue;
                }
                if (number > offset + 1) {
                    lost(offset + 1, number - 1);
                }
                apply(entry, true);
            }
            if (offset < read) {
                lost(offset + 1, read);
            } else if (!entries.isEmpty()) {
                metrics.logGap(true);
            }
            early = arrived == null ? new ArrayList<>() : arrived;
            finishCatchUp(snapshot, tellLeaves);
        }

        private void finishCatchUp(Response snapshot, boolean tellLeaves) {
            long read = snapshot.get(0).toLong();
            String readEpoch = epochOf(snapshot);
            boolean newEpoch = readEpoch != null && epoch != null && !readEpoch.equals(epoch);
            if (newEpoch) {
                registry.logReset(lobby, readEpoch, read);
            }
            if (readEpoch != null) {
                epoch = readEpoch;
            }
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
                    // A held seat nobody could put back (Redis lost it) ends with the reason it was held for.
                    LeaveReason reason = away.remove(user);
                    if (!seating.leaveToldHere(known.getValue())) {
                        // A member of this node that left was told here as it closed.
                        seating.tellMissedLeave(lobby, user, reason == null ? LeaveReason.LEFT : reason, audience);
                    }
                } else if (!current.equals(known.getValue())) {
                    members.put(user, current);
                    sessions.replaced(lobby, user, known.getValue(), current, 0);
                }
            }
            for (Response row : snapshot.get(1)) {
                noteAway(row);
            }
            for (Map.Entry<String, String> member : now.entrySet()) {
                if (members.putIfAbsent(member.getKey(), member.getValue()) == null) {
                    sessions.joined(lobby, member.getKey(), member.getValue(), 0);
                }
            }
            try {
                tellMissedState(stateOf(snapshot), newEpoch);
            } catch (RuntimeException e) {
                // Never leave the entries that waited for this catch-up waiting for good.
                LOG.warnf(e, "lobby %s: the lobby state missed here could not be told", lobby);
            }
            if (tellLeaves) {
                toldBefore = null;
            }
            deliveredOutsideLog.clear();
            offset = newEpoch ? read : Math.max(offset, read);
            waiting = null;
            if (early != null) {
                replayEarly();
            }
        }

        /**
         * Tells this node's members the changes of the lobby's state they missed, as the frames that would
         * have told them: the owner, the settings, each member's properties. After a new epoch the members
         * forgot the players' properties ({@code log_reset}): all are told again.
         */
        private void tellMissedState(LobbyState read, boolean newEpoch) {
            if (read == null) {
                return; // not made yet (members are being put back after Redis lost its data)
            }
            LobbyState told = state;
            state = read;
            // Not known what the members here were told: tell it all (telling a member what it knows is harmless).
            boolean unknown = told == null;
            if (unknown || !Objects.equals(read.owner(), told.owner())) {
                seating.tellMissedState(lobby, ServerMessages.ownerChanged(read.owner(), unknown ? null : told.owner()));
            }
            if (unknown || read.version() != told.version() || read.locked() != told.locked()
                    || read.maxMembers() != told.maxMembers() || !read.visibility().equals(told.visibility())
                    || !read.properties().equals(told.properties())) {
                seating.tellMissedState(lobby, ServerMessages.lobbyUpdated(read, null));
            }
            Map<String, String> before = unknown || newEpoch ? Map.of() : told.memberProperties();
            for (Map.Entry<String, String> member : read.memberProperties().entrySet()) {
                if (!member.getValue().equals(before.get(member.getKey()))) {
                    seating.tellMissedState(lobby, ServerMessages.memberUpdated(member.getKey(), member.getValue()));
                }
            }
            for (String user : before.keySet()) {
                if (!read.memberProperties().containsKey(user) && members.containsKey(user)) {
                    seating.tellMissedState(lobby, ServerMessages.memberUpdated(user, LobbyState.NO_PROPERTIES));
                }
            }
        }

        /** A state change applied from the log: the state as this node's members now know it. */
        private void noteState(LoggedEntry entry) {
            if (state == null) {
                if ("joined".equals(entry.kind()) && members.size() == 1) {
                    // The lobby's first member: its state is made with the seat (lib.lua state_open).
                    state = LobbyState.fresh(entry.text("user"), registry.settings().maxPerLobby());
                }
                return;
            }
            switch (entry.kind()) {
                case "owner" -> state = new LobbyState(entry.text("user"), state.locked(), state.visibility(),
                        state.maxMembers(), state.properties(), state.version(), state.memberProperties());
                case "lobby" -> state = entry.settings(state.owner(), state.memberProperties());
                case "mprops" -> state = withMemberProperties(entry.text("user"), entry.frame());
                // With the last seat the state is gone; the next first member makes a new one.
                case "left" -> state = members.isEmpty() ? null
                        : withMemberProperties(entry.text("user"), LobbyState.NO_PROPERTIES);
                default -> {
                }
            }
        }

        private LobbyState withMemberProperties(String user, String properties) {
            Map<String, String> changed = new LinkedHashMap<>(state.memberProperties());
            if (LobbyState.NO_PROPERTIES.equals(properties)) {
                changed.remove(user);
            } else {
                changed.put(user, properties);
            }
            return new LobbyState(state.owner(), state.locked(), state.visibility(), state.maxMembers(),
                    state.properties(), state.version(), changed);
        }

        /** A member row as read ({@code lobby_members}): away, with its reason, or connected. */
        private void noteAway(Response row) {
            Response reason = row.size() > 7 ? row.get(7) : null;
            if (reason == null) {
                away.remove(row.get(0).toString());
            } else {
                away.put(row.get(0).toString(), LoggedEntry.leaveReason(reason.toString()));
            }
        }

        /** An entry as published (the subscriber's thread, in Redis's order). */
        synchronized void onEntry(LoggedEntry entry) {
            if (early != null) {
                early.add(entry);
            } else if (waiting != null) {
                waiting.add(entry);
            } else {
                accept(entry);
            }
        }

        private void replayEarly() {
            List<LoggedEntry> waited = early;
            early = null;
            for (LoggedEntry entry : waited) {
                onEntry(entry);
            }
        }

        /** Applies the entry, after the missing ones before it are read back (or found gone). */
        private void accept(LoggedEntry entry) {
            long number = entry.offset();
            String entryEpoch = entry.epoch();
            if (epoch != null && !epoch.equals(entryEpoch)) {
                // Redis lost the log (and this node did not resync meanwhile): it starts again here.
                LOG.infof("lobby %s: the log went on in a new epoch", lobby);
                registry.logReset(lobby, entryEpoch, number - 1);
                offset = number - 1;
            }
            epoch = entryEpoch;
            if (number <= offset) {
                return;
            }
            if (number > offset + 1) {
                repair(offset + 1, number - 1, entry);
                return;
            }
            apply(entry);
        }

        /** Entries {@code from}..{@code to} were not received: read them back, then go on with {@code next}. */
        private void repair(long from, long to, LoggedEntry next) {
            waiting = new ArrayList<>();
            waiting.add(next);
            long begun = ++generation;
            if (!registry.logOn()) {
                LOG.warnf("lobby %s: log entries %d to %d were not received", lobby, from, to);
                repaired(begun, from, to, List.of());
                return;
            }
            log.readLogged(lobby, from - 1, to).subscribe().with(entries -> repaired(begun, from, to, entries),
                    unreadable -> repaired(begun, from, to, List.of()));
        }

        /** The entries read back (maybe not all); what is still missing is a gap; then the waiting ones. */
        private synchronized void repaired(long begun, long from, long to, List<LoggedEntry> entries) {
            if (begun != generation || waiting == null) {
                return; // a catch-up took over meanwhile, with the entries that waited
            }
            for (LoggedEntry entry : entries) {
                long number = entry.offset();
                if (number <= offset || number > to || !entry.epoch().equals(epoch)) {
                    continue;
                }
                if (number > offset + 1) {
                    lost(offset + 1, number - 1);
                }
                apply(entry);
            }
            if (offset < to) {
                lost(offset + 1, to);
            } else if (!entries.isEmpty()) {
                metrics.logGap(true);
            }
            List<LoggedEntry> next = waiting;
            waiting = null;
            for (LoggedEntry entry : next) {
                onEntry(entry);
            }
        }

        private void lost(long from, long to) {
            metrics.logGap(false);
            if (registry.logOn()) {
                LOG.debugf("lobby %s: log entries %d to %d are gone: members here are told of the gap", lobby, from, to);
                registry.logGap(lobby, from, to);
            }
            offset = to;
        }

        private void apply(LoggedEntry entry) {
            apply(entry, false);
        }

        /**
         * Applies the next entry. {@code readBack}: read back by the catch-up that ends a reconciliation (only it
         * calls {@link #catchUp}); an own {@code node_lost} among those entries was written before this node
         * registered again and took its seats back, so it asks for no other reconciliation (which would only take
         * the node out of readiness a second time).
         */
        private void apply(LoggedEntry entry, boolean readBack) {
            long number = entry.offset();
            offset = number;
            String user = entry.text("user");
            String connection = entry.text("conn");
            // A change this node's view already has (a member put back after an outage) is not news.
            switch (entry.kind()) {
                case "msg" -> {
                    if (deliveredOutsideLog.isEmpty() || !deliveredOutsideLog.contains(String.valueOf(entry.except()))) {
                        messages.deliver(lobby, entry);
                    } else {
                        metrics.logGap(false);
                    }
                }
                case "joined" -> {
                    away.remove(user);
                    if (!connection.equals(members.put(user, connection))) {
                        sessions.joined(lobby, user, connection, number);
                    }
                    noteState(entry);
                }
                case "left" -> {
                    LeaveReason reason = entry.reason();
                    if (connection.equals(members.get(user))) {
                        away.remove(user);
                    }
                    if (members.remove(user, connection)) {
                        sessions.left(lobby, user, connection, reason, number);
                    }
                    noteState(entry);
                    if (reason == LeaveReason.NODE_LOST && nodeId.equals(entry.text("node")) && !readBack) {
                        ownSeatLost.run();
                    }
                }
                case "replaced" -> {
                    members.put(user, connection);
                    sessions.replaced(lobby, user, entry.text("old_conn"), connection, number);
                }
                case "away" -> {
                    // Still a member: its seat is held (SPEC §10).
                    LeaveReason reason = entry.reason();
                    away.put(user, reason);
                    sessions.away(lobby, user, connection, reason, number);
                    if (reason == LeaveReason.NODE_LOST && nodeId.equals(entry.text("node")) && !readBack) {
                        ownSeatLost.run();
                    }
                }
                case "back" -> {
                    away.remove(user);
                    members.put(user, connection);
                    sessions.back(lobby, user, entry.text("old_conn"), connection, number);
                }
                // The lobby's state changed (SPEC §12): every member here hears it, in this order.
                case "owner", "lobby", "mprops" -> {
                    noteState(entry);
                    messages.deliver(lobby, entry);
                }
                // A kicked reservation: never a member here, but everyone hears it is out (SPEC §12).
                case "unreserved" -> messages.deliver(lobby, entry);
                default -> LOG.debugf("lobby %s: unknown log entry %s", lobby, entry.fields());
            }
        }
    }

    /** The lobby's state in a {@code lobby_members} snapshot, or null when it has none. */
    private static LobbyState stateOf(Response snapshot) {
        return snapshot.size() > 3 ? RedisSeatStore.state(snapshot.get(3)) : null;
    }

    private static String epochOf(Response snapshot) {
        Response epoch = snapshot.size() > 2 ? snapshot.get(2) : null;
        return epoch == null ? null : epoch.toString();
    }
}
