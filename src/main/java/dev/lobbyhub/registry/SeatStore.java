package dev.lobbyhub.registry;

import java.util.List;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.protocol.LobbyState;
import io.smallrye.mutiny.Uni;

/**
 * Seats: the cluster-wide record of which connection holds a place in which lobby (SPEC §1, §6,
 * §9). A claim is one atomic decision over the lobby's capacity, the one-connection-per-user rule
 * and the claiming node's lease; a release frees exactly the seat it names, once, and never a
 * newer connection's seat of the same user.
 *
 * <p>
 * Every seat change gets a sequence number that grows with each change, so the presence events
 * of one lobby can be delivered in the order its seats changed. A {@code Uni} fails only when
 * the store cannot answer (unreachable, or slower than {@code cluster.redis-timeout}); the
 * caller then refuses the connection with 1013 and nothing was decided, or a retry with the
 * same connection id is answered as the first was.
 */
public interface SeatStore {

    /** A connection asking for a seat. {@code name} is the display name, or null. */
    record Seat(String lobby, String userId, String connectionId, String nodeId, String name) {
    }

    /** The user's older connection that lost its seat to a claim; its node closes it 4005. */
    record Displaced(String connectionId, String nodeId, String lobby) {
    }

    /** The answer to a claim. */
    sealed interface Claim {
    }

    /** What a claim did to a seat held for its user (SPEC §10). */
    enum HoldEnded {
        /** The user took back the seat held for it in this lobby ({@code member_back}). */
        RETURNED,
        /** The user's seat held in another lobby was freed ({@code member_left left} there). */
        FREED
    }

    /**
     * Seated, as seat change number {@code sequence}; {@code members} are the lobby's user ids right
     * after it (the claimant included); {@code displaced} is null unless the user was connected (or
     * away: then it names the held seat taken back). With a shared lobby log, {@code sequence} is the
     * claim's offset in it, {@code seatAt} the offset at which the seat began (kept when the user's
     * newer connection takes it over) and {@code epoch} the log's; without, 0 and null.
     * {@code holdEnded} says what the claim did to a held seat of the user (null: none),
     * {@code away} lists the lobby's away members and {@code state} is the lobby's state right after
     * the claim (SPEC §12; null where the store keeps none).
     */
    record Seated(long sequence, List<String> members, Displaced displaced, long connectedAtMillis, long seatAt,
            String epoch, HoldEnded holdEnded, List<String> away, LobbyState state) implements Claim {

        public Seated(long sequence, List<String> members, Displaced displaced, long connectedAtMillis) {
            this(sequence, members, displaced, connectedAtMillis, 0, null, null, List.of(), null);
        }

        /** Whether it took over the user's own seat in the same lobby (a member coming back, SPEC §11). */
        public boolean tookOverOwnSeat(String lobby) {
            return displaced != null && lobby.equals(displaced.lobby());
        }
    }

    /** Refused with this close code; nothing changed. */
    record Refused(CloseCode code) implements Claim {
    }

    Uni<Claim> claim(Seat seat, int maxPerLobby, OnDuplicate onDuplicate);

    /** Frees the connection's seat; false when it held none (freed before, displaced, or never seated). */
    Uni<Boolean> release(String connectionId, LeaveReason reason);

    /**
     * As {@link #release(String, LeaveReason)}, but with {@code holdMillis} above 0 the seat is held
     * for its user's return for that long ({@code member_away}, SPEC §10) instead of freed.
     */
    default Uni<Boolean> release(String connectionId, LeaveReason reason, long holdMillis) {
        return release(connectionId, reason);
    }
}
