package dev.lobbyhub.cluster;

import java.util.List;
import java.util.Optional;

import io.smallrye.mutiny.Uni;

/**
 * Who is connected where: the read side of the cluster, as the admin API shows it (SPEC §7, §9).
 * The default implementation reads this node's registry; in cluster mode an implementation reads
 * the shared store and answers for every node.
 *
 * <p>
 * Every answer is a snapshot taken when the {@code Uni} completes, consistent within itself (a
 * member list is one lobby at one moment) but not with a later call. A {@code Uni} never fails
 * for a user or lobby that is not there: that is an empty answer. It fails only when the answer
 * cannot be had (in cluster mode: the store did not answer in time).
 */
public interface Presence {

    /**
     * One member as the admin API describes it; {@code rttMillis} is null until the first pong. An
     * away member (its seat held, SPEC §10) has {@code awayUntilMillis}, and no round-trip time or node.
     */
    record Member(String userId, String name, String lobby, long connectedAtMillis, Long rttMillis, String nodeId,
            Long awayUntilMillis) {

        /** A connected member. */
        public Member(String userId, String name, String lobby, long connectedAtMillis, Long rttMillis, String nodeId) {
            this(userId, name, lobby, connectedAtMillis, rttMillis, nodeId, null);
        }

        public boolean away() {
            return awayUntilMillis != null;
        }
    }

    /** One line of the lobby list. */
    record LobbyCount(String code, int memberCount) {
    }

    /** Counts over the nodes this presence answers for; {@code nodes} is null on a single node. */
    record Totals(int connections, int maxConnections, int activeLobbies, List<NodeLoad> nodes) {
    }

    /** One live node of the cluster; {@code lastSeenMillis} is the time since it last renewed its lease. */
    record NodeLoad(String nodeId, int connections, int maxConnections, long lastSeenMillis) {
    }

    /** Where the user is connected, or empty. */
    Uni<Optional<Member>> user(String userId);

    /** The members of a lobby in joining order; empty when nobody is in it. */
    Uni<List<Member>> lobbyMembers(String code);

    /** Up to {@code limit} lobbies with members, in code order, starting after {@code afterCode} (null: first). */
    Uni<List<LobbyCount>> lobbies(String afterCode, int limit);

    Uni<Totals> totals();
}
