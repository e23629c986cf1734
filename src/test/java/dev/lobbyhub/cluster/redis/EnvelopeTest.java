package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EnvelopeTest {

    private static final long SENT = 1_764_800_000_123L;
    private static final String FRAME = "{\"type\":\"lobby_message\",\"from\":\"u1\",\"data\":{\"x\":1}}";

    @Test
    void aLobbyMessageWrittenFromThePrefixIsTheEnvelopeJacksonWrites() {
        for (String node : new String[] { "pod-7c9-0a1b2c", "odd \"node\"\\name", "ünïcode" }) {
            assertEquals(Envelope.encode(Envelope.header(node, SENT), FRAME), Envelope.lobbyMessage(Envelope.originPrefix(node), SENT, FRAME));
            Envelope decoded = Envelope.decode(Envelope.lobbyMessage(Envelope.originPrefix(node), SENT, FRAME));
            assertEquals(node, decoded.text("o"));
            assertEquals(FRAME, decoded.body());
            assertEquals(SENT, decoded.sentAtMillis());
        }
    }

    @Test
    void ownEnvelopesAreRecognisedUnparsedAndNoOtherOnes() {
        String own = Envelope.originPrefix("node-1");
        assertTrue(Envelope.isFrom(Envelope.lobbyMessage(own, SENT, FRAME), own));
        assertTrue(Envelope.isFrom(Envelope.encode(Envelope.header("node-1", SENT).put("to", "u2"), FRAME), own));
        // A node whose id starts with this one's, another node, and a seat event are not this node's.
        assertFalse(Envelope.isFrom(Envelope.lobbyMessage(Envelope.originPrefix("node-10"), SENT, FRAME), own));
        assertFalse(Envelope.isFrom(Envelope.lobbyMessage(Envelope.originPrefix("node-2"), SENT, FRAME), own));
        assertFalse(Envelope.isFrom("{\"seq\":4,\"type\":\"joined\",\"user\":\"u1\"}", own));
        assertFalse(Envelope.isFrom(own, own));
    }
}
