package dev.lobbyhub.endpoint;

import java.lang.reflect.Field;

import org.jboss.logging.Logger;

import io.netty.channel.ChannelHandlerContext;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.impl.WebSocketInternal;

/**
 * The Netty channel under a WebSockets Next connection, which {@link ChannelFrameWriter} writes to.
 * Writing a frame through {@link WebSocketConnection#sendText(String)} builds a Mutiny {@code Uni}
 * with context propagation and a completion for every frame. Neither the connection nor the Vert.x
 * Web wrapper around its socket exposes what is underneath, so each is read once per connection
 * from a private field; should an upgrade rename one, {@link #channelOf} answers null and frames go
 * through {@code sendText} again (and {@code RawSocketsTest} fails).
 */
@RegisterForReflection(classNames = { RawSockets.CONNECTION_CLASS, RawSockets.WRAPPER_CLASS }, fields = true)
final class RawSockets {

    static final String CONNECTION_CLASS = "io.quarkus.websockets.next.runtime.WebSocketConnectionImpl";
    static final String WRAPPER_CLASS = "io.vertx.ext.web.impl.ServerWebSocketWrapper";
    private static final Logger LOG = Logger.getLogger(RawSockets.class);
    private static final Field SOCKET = find(CONNECTION_CLASS, "webSocket");
    private static final Field WRAPPED = find(WRAPPER_CLASS, "delegate");

    private RawSockets() {
    }

    /** The channel context of the connection's socket (its last handler's), or null when it cannot be reached. */
    static ChannelHandlerContext channelOf(WebSocketConnection connection) {
        Object socket = read(SOCKET, connection);
        if (socket != null && !(socket instanceof WebSocketInternal)) {
            socket = read(WRAPPED, socket);
        }
        return socket instanceof WebSocketInternal internal ? internal.channelHandlerContext() : null;
    }

    private static Object read(Field field, Object owner) {
        if (field == null || !field.getDeclaringClass().isInstance(owner)) {
            return null;
        }
        try {
            return field.get(owner);
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    private static Field find(String className, String fieldName) {
        try {
            Field field = Class.forName(className).getDeclaredField(fieldName);
            if (!ServerWebSocket.class.isAssignableFrom(field.getType())) {
                throw new NoSuchFieldException(fieldName + " is a " + field.getType());
            }
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("frames go through WebSocketConnection.sendText (slower): %s", e.toString());
            return null;
        }
    }
}
