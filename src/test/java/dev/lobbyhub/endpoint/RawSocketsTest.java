package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.URI;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;

/** Fails when an upgrade hides the channel again: frames would still flow, through the slower path. */
@QuarkusTest
class RawSocketsTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    OpenConnections connections;

    @Test
    void framesAreWrittenStraightToTheNettyChannel() {
        try (TestSocket client = TestSocket.joinWelcomed(base, Tokens.unique("lobby"), Tokens.valid(Tokens.unique("u")))) {
            assertFalse(connections.listAll().isEmpty());
            for (WebSocketConnection connection : connections.listAll()) {
                assertNotNull(RawSockets.channelOf(connection), "the channel of " + connection.id());
            }
            client.send("{\"type\":\"ping\",\"id\":1}");
            client.expect("pong");
        }
    }
}
