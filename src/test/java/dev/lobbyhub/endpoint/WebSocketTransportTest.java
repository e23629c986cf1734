package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.metrics.LobbyhubMetrics;
import dev.lobbyhub.protocol.CloseCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.ServerWebSocket;

/**
 * The outbound queue of one connection, without a network: a socket that accepts frames but never
 * finishes writing them (a client that does not read), and an event loop the test turns by hand.
 */
class WebSocketTransportTest {

    private static final long MAX_UNWRITTEN = 100;

    private final List<String> written = new ArrayList<>();
    private final List<Promise<Void>> pendingWrites = new ArrayList<>();
    /** Closes sent, as "code reason". */
    private final List<String> closes = new ArrayList<>();
    private final Queue<Handler<Void>> eventLoop = new ArrayDeque<>();
    private final LobbyhubMetrics metrics = new LobbyhubMetrics(new SimpleMeterRegistry());

    @Test
    void closeQueuedBehindABacklogThatOverflowsIsStillSent() {
        WebSocketTransport transport = transport(rawSocket());
        transport.send("a".repeat(60));
        transport.send("b".repeat(60));
        transport.close(CloseCode.KICKED);

        runEventLoop();

        assertEquals(List.of("a".repeat(60)), written, "the frame that would overflow the backlog is not written");
        assertEquals(List.of("4006 kicked"), closes, "the decided close is sent, not lost");
    }

    @Test
    void backlogOverTheLimitClosesSlowConsumer() {
        WebSocketTransport transport = transport(rawSocket());
        transport.send("a".repeat(60));
        transport.send("b".repeat(60));

        runEventLoop();

        assertEquals(List.of("4009 slow_consumer"), closes);
    }

    @Test
    void writtenFramesNoLongerCountAgainstTheClient() {
        WebSocketTransport transport = transport(rawSocket());
        transport.send("a".repeat(60));
        runEventLoop();
        pendingWrites.forEach(Promise::complete);
        transport.send("b".repeat(60));
        runEventLoop();

        assertEquals(List.of("a".repeat(60), "b".repeat(60)), written);
        assertTrue(closes.isEmpty());
    }

    @Test
    void queueOverEightTimesTheLimitClosesSlowConsumerAtOnce() {
        WebSocketTransport transport = transport(rawSocket());
        for (int i = 0; i < WebSocketTransport.QUEUE_FACTOR * 2; i++) {
            transport.send("q".repeat(60)); // the event loop never turns: this node is behind
        }

        assertEquals(List.of("4009 slow_consumer"), closes, "closed without waiting for the loop");
        runEventLoop();
        assertTrue(written.isEmpty(), "nothing of the backlog is written after the close");
        assertEquals(1, closes.size());
    }

    @Test
    void failedWriteClosesWithInternalError() {
        WebSocketTransport transport = transport(rawSocket());
        transport.send("x");
        runEventLoop();
        pendingWrites.get(0).fail(new IllegalStateException("broken pipe"));
        runEventLoop();

        assertEquals(List.of("1011 internal_error"), closes);
    }

    @Test
    void withoutTheRawSocketFramesAndTheCloseGoThroughSendTextInOrder() {
        WebSocketTransport transport = transport(null);
        transport.send("one");
        transport.send("two");
        transport.close(CloseCode.STALE);
        transport.send("after the close");

        runEventLoop();

        assertEquals(List.of("one", "two"), written);
        assertEquals(List.of("4004 stale"), closes);
    }

    private WebSocketTransport transport(ServerWebSocket socket) {
        return new WebSocketTransport(connection(), socket, eventLoop(), null, metrics, MAX_UNWRITTEN);
    }

    private void runEventLoop() {
        Handler<Void> task;
        while ((task = eventLoop.poll()) != null) {
            task.handle(null);
        }
    }

    /** A connection whose {@code sendText} completes at once and whose closes are recorded. */
    private WebSocketConnection connection() {
        return (WebSocketConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { WebSocketConnection.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "sendText" -> {
                        written.add((String) args[0]);
                        yield Uni.createFrom().voidItem();
                    }
                    case "close" -> {
                        CloseReason reason = (CloseReason) args[0];
                        closes.add(reason.getCode() + " " + reason.getMessage());
                        yield Uni.createFrom().voidItem();
                    }
                    case "isOpen" -> closes.isEmpty();
                    case "isClosed" -> !closes.isEmpty();
                    case "id" -> "test-connection";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A socket that takes frames and finishes writing them only when the test says so. */
    private ServerWebSocket rawSocket() {
        return (ServerWebSocket) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ServerWebSocket.class }, (proxy, method, args) -> {
                    if (method.getName().equals("writeTextMessage") && args.length == 1) {
                        written.add((String) args[0]);
                        Promise<Void> promise = Promise.promise();
                        pendingWrites.add(promise);
                        return (Future<Void>) promise.future();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** An event loop that runs tasks only when {@link #runEventLoop()} turns it. */
    @SuppressWarnings("unchecked")
    private Context eventLoop() {
        return (Context) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Context.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("runOnContext")) {
                        eventLoop.add((Handler<Void>) args[0]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
