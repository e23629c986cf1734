package dev.lobbyhub.endpoint;

import java.lang.reflect.Field;

import org.jboss.logging.Logger;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.http.ServerWebSocket;

/**
 * The Vert.x socket under a WebSockets Next connection. Writing a frame through
 * {@link WebSocketConnection#sendText(String)} builds a Mutiny {@code Uni} with context propagation
 * for every frame; the socket's own {@code writeTextMessage} does the same write without it, for
 * 4–6 % less CPU per lobby delivery in the benchmark. The connection does not
 * expose its socket, so it is read once per connection from a private field; should a Quarkus
 * upgrade rename it, {@link #of} answers null and frames go through {@code sendText} again.
 */
@RegisterForReflection(classNames = RawSockets.CONNECTION_CLASS, fields = true)
final class RawSockets {

    static final String CONNECTION_CLASS = "io.quarkus.websockets.next.runtime.WebSocketConnectionImpl";
    private static final Logger LOG = Logger.getLogger(RawSockets.class);
    private static final Field SOCKET = find();

    private RawSockets() {
    }

    /** The connection's socket, or null when it cannot be reached. */
    static ServerWebSocket of(WebSocketConnection connection) {
        if (SOCKET == null || !SOCKET.getDeclaringClass().isInstance(connection)) {
            return null;
        }
        try {
            return (ServerWebSocket) SOCKET.get(connection);
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    private static Field find() {
        try {
            Field field = Class.forName(CONNECTION_CLASS).getDeclaredField("webSocket");
            if (!ServerWebSocket.class.isAssignableFrom(field.getType())) {
                throw new NoSuchFieldException("webSocket is a " + field.getType());
            }
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("frames go through WebSocketConnection.sendText (slower): %s", e.toString());
            return null;
        }
    }
}
