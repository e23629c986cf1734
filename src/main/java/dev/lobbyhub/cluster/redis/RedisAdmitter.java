package dev.lobbyhub.cluster.redis;

import java.time.Duration;

import org.jboss.logging.Logger;

import dev.lobbyhub.auth.Identity;
import dev.lobbyhub.registry.Resume;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.logging.LogText;
import dev.lobbyhub.metrics.BackplaneMeters;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.registry.Admission;
import dev.lobbyhub.registry.Admitter;
import dev.lobbyhub.registry.ClusterSeating;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.SeatLostException;
import dev.lobbyhub.registry.Session;
import dev.lobbyhub.registry.Transport;
import io.smallrye.mutiny.Uni;

/**
 * Admission in cluster mode, without blocking the event loop: a place on this node
 * ({@code max-connections}), then the lobby's channel (subscribed and confirmed, so this node hears
 * every seat change after the claim), then the atomic claim in Redis, then the wait for the
 * claim's own seat event, which puts the session among this node's members in the order of the
 * lobby's changes; only then the {@code welcome}. Every step is bounded by
 * {@code cluster.redis-timeout}; a store that cannot answer refuses the connection with 1013, and
 * a seat that may have been taken is released.
 */
final class RedisAdmitter implements Admitter {

    private static final Logger LOG = Logger.getLogger(RedisAdmitter.class);

    private final ClusterSeating seating;
    private final LobbyFeeds feeds;
    private final SeatStore seats;
    private final NodeStatus status;
    private final BackplaneMeters meters;
    private final String nodeId;
    private final int maxPerLobby;
    private final OnDuplicate onDuplicate;
    private final Duration timeout;

    RedisAdmitter(ConnectionRegistry registry, ClusterSeating seating, LobbyFeeds feeds, SeatStore seats, NodeStatus status,
            BackplaneMeters meters, String nodeId, Duration timeout) {
        this.seating = seating;
        this.feeds = feeds;
        this.seats = seats;
        this.status = status;
        this.meters = meters;
        this.nodeId = nodeId;
        this.maxPerLobby = registry.settings().maxPerLobby();
        this.onDuplicate = registry.settings().onDuplicate();
        this.timeout = timeout;
    }

    /** {@code resume} reaches the session, whose welcome then says whether it recovered (SPEC §11). */
    @Override
    public Uni<Admission> admit(Identity identity, String lobby, String connectionId, Transport transport,
            Resume resume) {
        Admission reservation = seating.reserve(identity, lobby, connectionId, transport, resume);
        if (reservation instanceof Admission.Rejected) {
            return Uni.createFrom().item(reservation);
        }
        Session session = ((Admission.Admitted) reservation).session();
        if (!status.admits()) {
            seating.abandon(session);
            return Uni.createFrom().item(new Admission.Rejected(CloseCode.BACKPLANE_UNAVAILABLE));
        }
        long started = System.nanoTime();
        SeatStore.Seat seat = new SeatStore.Seat(lobby, identity.userId(), connectionId, nodeId, identity.name());
        return feeds.acquire(lobby).chain(feed -> seats.claim(seat, maxPerLobby, onDuplicate)
                .chain(claim -> {
                    meters.admissionRoundTrip(System.nanoTime() - started);
                    if (claim instanceof SeatStore.Refused refused) {
                        seating.abandon(session);
                        if (refused.code() == CloseCode.BACKPLANE_UNAVAILABLE) {
                            status.leaseLost();
                        }
                        return Uni.createFrom().item((Admission) new Admission.Rejected(refused.code()));
                    }
                    SeatStore.Seated seated = (SeatStore.Seated) claim;
                    return Uni.createFrom().completionStage(seating.whenSeated(session))
                            .ifNoItem().after(timeout).fail()
                            .chain(indexed -> Uni.createFrom().completionStage(seating.welcome(session, seated)))
                            .map(welcomed -> (Admission) new Admission.Admitted(session));
                })
                .onTermination().invoke(() -> feeds.admitted(feed)))
                .onFailure(SeatLostException.class).recoverWithItem(lost -> {
                    seating.abandon(session);
                    return new Admission.Rejected(((SeatLostException) lost).code());
                })
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("admission user=%s lobby=%s conn=%s failed, refused with 1013: %s",
                            LogText.escape(identity.userId()), lobby, connectionId, failure.toString());
                    seating.abandon(session);
                    // The claim may have been taken after all: give the seat back (a no-op if not).
                    seats.release(connectionId, LeaveReason.ERROR).subscribe().with(freed -> {
                    }, unreachable -> seating.releaseLater(connectionId, LeaveReason.ERROR));
                    return new Admission.Rejected(CloseCode.BACKPLANE_UNAVAILABLE);
                });
    }
}
