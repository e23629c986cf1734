package dev.lobbyhub.cluster.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import dev.lobbyhub.cluster.NodeId;
import dev.lobbyhub.cluster.Presence;
import dev.lobbyhub.registry.ConnectionRegistry;
import dev.lobbyhub.registry.Session;
import dev.lobbyhub.registry.SessionIndex;
import io.quarkus.arc.Unremovable;
import io.smallrye.mutiny.Uni;

/** {@link Presence} of a single node: this node's registry, answered at once. */
@ApplicationScoped
@Typed(LocalPresence.class)
@Unremovable
public class LocalPresence implements Presence {

    private final ConnectionRegistry registry;
    private final String nodeId;

    public LocalPresence(ConnectionRegistry registry, NodeId nodeId) {
        this.registry = registry;
        this.nodeId = nodeId.value();
    }

    @Override
    public Uni<Optional<Member>> user(String userId) {
        Session session = registry.findUser(userId);
        if (session == null) {
            session = registry.findAway(userId);
        }
        return Uni.createFrom().item(session == null ? Optional.empty() : Optional.of(member(session)));
    }

    @Override
    public Uni<List<Member>> lobbyMembers(String code) {
        Session[] sessions = registry.members(code);
        Session[] away = registry.away(code);
        List<Member> members = new ArrayList<>(sessions.length + away.length);
        for (Session session : sessions) {
            members.add(member(session));
        }
        for (Session session : away) {
            members.add(member(session));
        }
        return Uni.createFrom().item(members);
    }

    @Override
    public Uni<List<LobbyCount>> lobbies(String afterCode, int limit) {
        List<LobbyCount> page = new ArrayList<>();
        for (SessionIndex.LobbySummary lobby : registry.lobbies(afterCode, limit)) {
            page.add(new LobbyCount(lobby.code(), lobby.memberCount()));
        }
        return Uni.createFrom().item(page);
    }

    @Override
    public Uni<Totals> totals() {
        return Uni.createFrom().item(new Totals(registry.connectionCount(), registry.settings().maxConnections(),
                registry.lobbyCount(), null));
    }

    private Member member(Session session) {
        if (session.isAway()) {
            return new Member(session.userId(), session.name(), session.lobby(), session.connectedAtMillis(), null, null,
                    session.awayUntilMillis());
        }
        long rtt = session.rttMillis();
        return new Member(session.userId(), session.name(), session.lobby(), session.connectedAtMillis(),
                rtt < 0 ? null : rtt, nodeId);
    }
}
