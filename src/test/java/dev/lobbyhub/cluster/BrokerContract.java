package dev.lobbyhub.cluster;

import static dev.lobbyhub.cluster.PresenceContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.vertx.core.json.JsonObject;

/**
 * What every {@link Broker} must do, checked through real connections. "Nothing else arrived" is
 * checked with a later frame through the same broker: it is delivered in order, so anything
 * misrouted would have come first.
 */
public abstract class BrokerContract {

    @Inject
    protected Broker broker;

    @TestHTTPResource("/")
    URI base;

    @Test
    void lobbyMessageReachesEveryMemberButTheExcludedOne() {
        String lobby = Tokens.unique("broker");
        String skipped = Tokens.unique("b");
        try (TestSocket a = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("a")));
                TestSocket b = TestSocket.joinWelcomed(base, lobby, Tokens.valid(skipped));
                TestSocket c = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("c")))) {
            a.expect("member_joined");
            a.expect("member_joined");
            b.expect("member_joined");

            assertEquals(2, await(broker.toLobby(lobby, TextNode.valueOf("hello"), skipped)));
            assertEquals(3, await(broker.toLobby(lobby, TextNode.valueOf("fence"), null)));

            for (TestSocket member : new TestSocket[] { a, c }) {
                JsonObject message = member.expect("lobby_message");
                assertEquals("hello", message.getString("data"));
                assertTrue(message.containsKey("from") && message.getValue("from") == null);
                assertEquals("fence", member.expect("lobby_message").getString("data"));
            }
            assertEquals("fence", b.expect("lobby_message").getString("data"), "the excluded member got nothing before");
        }
    }

    @Test
    void lobbyMessageToAnEmptyLobbyReachesNobody() {
        assertEquals(0, await(broker.toLobby(Tokens.unique("empty"), TextNode.valueOf("x"), null)));
    }

    @Test
    void directMessageReachesOnlyThatUser() {
        String lobby = Tokens.unique("broker");
        String target = Tokens.unique("target");
        try (TestSocket to = TestSocket.joinWelcomed(base, lobby, Tokens.valid(target));
                TestSocket other = TestSocket.joinWelcomed(base, lobby, Tokens.valid(Tokens.unique("other")))) {
            to.expect("member_joined");
            assertTrue(await(broker.toUser(target, JsonNodeFactory.instance.objectNode().put("k", 1))));
            JsonObject message = to.expect("direct_message");
            assertEquals(1, message.getJsonObject("data").getInteger("k"));
            assertTrue(message.containsKey("from") && message.getValue("from") == null);
            assertEquals(2, await(broker.toLobby(lobby, TextNode.valueOf("fence"), null)));
            assertEquals("fence", other.expect("lobby_message").getString("data"), "the other member got nothing before");
        }
    }

    @Test
    void nobodyToReachIsAnAnswerNotAFailure() {
        String nobody = Tokens.unique("nobody");
        assertFalse(await(broker.toUser(nobody, TextNode.valueOf("x"))));
        assertFalse(await(broker.kick(nobody)));
        assertEquals(Broker.PingResult.NOT_CONNECTED, await(broker.ping(nobody, 100)));
    }

    @Test
    void kickClosesTheConnectionWith4006() {
        String user = Tokens.unique("kicked");
        try (TestSocket kicked = TestSocket.joinWelcomed(base, Tokens.unique("broker"), Tokens.valid(user))) {
            assertTrue(await(broker.kick(user)));
            assertEquals(new TestSocket.Close(4006, "kicked"), kicked.awaitClose());
        }
    }

    @Test
    void pingMeasuresTheRoundTripOrSaysTheClientWasSilent() {
        String lively = Tokens.unique("lively");
        String silent = Tokens.unique("silent");
        try (TestSocket answering = TestSocket.joinWelcomed(base, Tokens.unique("broker"), Tokens.valid(lively));
                TestSocket frozen = TestSocket.joinWelcomed(base, Tokens.unique("broker"), Tokens.valid(silent))
                        .stopAnsweringPings()) {
            Broker.PingResult answered = await(broker.ping(lively, 5_000));
            assertTrue(answered.connected());
            assertTrue(answered.latencyMillis() != null && answered.latencyMillis() >= 0, answered::toString);

            Broker.PingResult unanswered = await(broker.ping(silent, 200));
            assertTrue(unanswered.connected());
            assertNull(unanswered.latencyMillis());
        }
    }
}
