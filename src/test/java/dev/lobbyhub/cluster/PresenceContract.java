package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * What every {@link Presence} must answer, checked through real connections. Each implementation
 * runs it by extending it as a {@code @QuarkusTest} whose profile selects that implementation.
 */
public abstract class PresenceContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    protected Presence presence;

    @Inject
    NodeId nodeId;

    @TestHTTPResource("/")
    URI base;

    @Test
    void userWhoIsNotConnectedIsEmpty() {
        assertEquals(Optional.empty(), await(presence.user(Tokens.unique("nobody"))));
    }

    @Test
    void connectedUserIsFoundInItsLobbyOnItsNode() {
        String lobby = Tokens.unique("presence");
        String user = Tokens.unique("alice");
        long before = System.currentTimeMillis();
        try (TestSocket alice = TestSocket.joinWelcomed(base, lobby, Tokens.valid(user))) {
            Presence.Member member = await(presence.user(user)).orElseThrow();
            assertEquals(user, member.userId());
            assertEquals(lobby, member.lobby());
            assertEquals(nodeId.value(), member.nodeId());
            assertTrue(member.connectedAtMillis() >= before && member.connectedAtMillis() <= System.currentTimeMillis());
            assertTrue(member.rttMillis() == null || member.rttMillis() >= 0);
        }
    }

    @Test
    void lobbyMembersComeInJoiningOrderAndLeave() {
        String lobby = Tokens.unique("presence");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c = Tokens.unique("c");
        try (TestSocket first = TestSocket.joinWelcomed(base, lobby, Tokens.valid(a));
                TestSocket second = TestSocket.joinWelcomed(base, lobby, Tokens.valid(b));
                TestSocket third = TestSocket.joinWelcomed(base, lobby, Tokens.valid(c))) {
            assertEquals(List.of(a, b, c), userIds(await(presence.lobbyMembers(lobby))));
            second.close();
            Awaitility.await().atMost(WAIT).until(() -> userIds(await(presence.lobbyMembers(lobby))).equals(List.of(a, c)));
        }
        Awaitility.await().atMost(WAIT).until(() -> await(presence.lobbyMembers(lobby)).isEmpty());
    }

    @Test
    void lobbiesComeInCodeOrderAPageAtATime() {
        String prefix = Tokens.unique("page");
        try (TestSocket x = TestSocket.joinWelcomed(base, prefix + "-a", Tokens.valid(Tokens.unique("x")));
                TestSocket y = TestSocket.joinWelcomed(base, prefix + "-b", Tokens.valid(Tokens.unique("y")));
                TestSocket z = TestSocket.joinWelcomed(base, prefix + "-b", Tokens.valid(Tokens.unique("z")));
                TestSocket w = TestSocket.joinWelcomed(base, prefix + "-c", Tokens.valid(Tokens.unique("w")))) {
            assertEquals(List.of(new Presence.LobbyCount(prefix + "-a", 1), new Presence.LobbyCount(prefix + "-b", 2)),
                    await(presence.lobbies(prefix + "-", 2)));
            assertEquals(new Presence.LobbyCount(prefix + "-c", 1), await(presence.lobbies(prefix + "-b", 1)).get(0));
        }
    }

    @Test
    void totalsCountWhatIsConnected() {
        String lobby = Tokens.unique("totals");
        try (TestSocket one = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("one")));
                TestSocket two = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("two")))) {
            Presence.Totals totals = await(presence.totals());
            assertTrue(totals.connections() >= 2, totals::toString);
            assertTrue(totals.activeLobbies() >= 1, totals::toString);
            assertTrue(totals.maxConnections() >= totals.connections(), totals::toString);
        }
    }

    static <T> T await(io.smallrye.mutiny.Uni<T> answer) {
        return answer.await().atMost(WAIT);
    }

    private static List<String> userIds(List<Presence.Member> members) {
        return members.stream().map(Presence.Member::userId).toList();
    }
}
