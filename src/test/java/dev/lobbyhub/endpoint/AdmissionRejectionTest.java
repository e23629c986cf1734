package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Each refused connection is upgraded, then closed at once with the contract's code and reason, and nothing else. */
@QuarkusTest
public class AdmissionRejectionTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void lobbyCodeWithForbiddenCharacter() {
        try (TestSocket socket = TestSocket.join(base, "bad.lobby", Tokens.valid(Tokens.unique("u")))) {
            socket.expectRejected(4000, "invalid_lobby");
        }
    }

    @Test
    void lobbyCodeLongerThan64() {
        try (TestSocket socket = TestSocket.join(base, "a".repeat(65), Tokens.valid(Tokens.unique("u")))) {
            socket.expectRejected(4000, "invalid_lobby");
        }
    }

    @Test
    void lobbyCodeOf64IsFine() {
        String code = (Tokens.unique("Az09") + "_".repeat(64)).substring(0, 64);
        try (TestSocket socket = TestSocket.join(base, code, Tokens.valid(Tokens.unique("u")))) {
            assertEquals(code, socket.expect("welcome").getString("lobby"));
        }
    }

    @Test
    void invalidLobbyIsCheckedBeforeTheToken() {
        try (TestSocket socket = TestSocket.connect(base, "/ws/no%20spaces")) {
            socket.expectRejected(4000, "invalid_lobby");
        }
    }

    @Test
    void missingToken() {
        try (TestSocket socket = TestSocket.connect(base, "/ws/" + Tokens.unique("lobby"))) {
            socket.expectRejected(4001, "unauthorized");
        }
    }

    @Test
    void malformedToken() {
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), "abc.def.ghi")) {
            socket.expectRejected(4001, "unauthorized");
        }
    }

    @Test
    void tokenSignedWithAnotherSecret() {
        String token = Tokens.hs256("another-secret-another-secret-another", c -> c.setSubject("mallory"));
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), token)) {
            socket.expectRejected(4001, "unauthorized");
        }
    }

    @Test
    void expiredToken() {
        String token = Tokens.hs256(Tokens.TEST_SECRET, c -> {
            c.setSubject("late");
            c.setExpirationTimeMinutesInTheFuture(-1);
        });
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), token)) {
            socket.expectRejected(4001, "unauthorized");
        }
    }

    @Test
    void tokenWithoutExpiry() {
        String token = Tokens.hs256(Tokens.TEST_SECRET, c -> {
            c.setSubject("forever");
            c.unsetClaim("exp");
        });
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), token)) {
            socket.expectRejected(4001, "unauthorized");
        }
    }

    @Test
    void lobbyNotInTokensLobbiesClaim() {
        String token = Tokens.forLobbies(Tokens.unique("u"), List.of("somewhere-else"));
        try (TestSocket socket = TestSocket.join(base, Tokens.unique("lobby"), token)) {
            socket.expectRejected(4003, "forbidden");
        }
    }

    @Test
    void lobbyInTokensLobbiesClaimIsAdmitted() {
        String lobby = Tokens.unique("lobby");
        try (TestSocket socket = TestSocket.join(base, lobby, Tokens.forLobbies(Tokens.unique("u"), List.of(lobby)))) {
            socket.expect("welcome");
        }
    }

    @Test
    void badTokenIsCheckedBeforeCapacity() {
        String lobby = Tokens.unique("full");
        List<TestSocket> members = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                members.add(TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("m"))));
            }
            try (TestSocket late = TestSocket.join(base, lobby, "garbage")) {
                late.expectRejected(4001, "unauthorized");
            }
            try (TestSocket late = TestSocket.join(base, lobby, Tokens.valid(Tokens.unique("late")))) {
                late.expectRejected(4002, "lobby_full");
            }
        } finally {
            members.forEach(TestSocket::close);
        }
    }
}
