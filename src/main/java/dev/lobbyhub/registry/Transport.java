package dev.lobbyhub.registry;

import dev.lobbyhub.protocol.CloseCode;

/** The socket under a session. Both calls return at once and never throw; failures are handled inside. */
public interface Transport {

    /** Queues one text frame. */
    void send(String text);

    /** Sends the close frame with this code and reason, then closes the socket. */
    void close(CloseCode code);
}
