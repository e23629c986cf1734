package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.vertx.core.Handler;
import io.vertx.core.Promise;

/**
 * The outbound queue of one connection, without a network: a writer that takes frames but never
 * finishes writing them until the test says so (a client that does not read), and an event loop the
 * test turns by hand.
 */
class WebSocketTransportTest {

    private static final long MAX_UNWRITTEN = 100;

    private final List<String> written = new ArrayList<>();
    private final List<Promise<Void>> pendingSends = new ArrayList<>();
    /** Closes sent, as "code reason". */
    private final List<String> closes = new ArrayList<>();
    private final Queue<Handler<Void>> eventLoop = new ArrayDeque<>();
    private final LobbyhubMetrics metrics = new LobbyhubMetrics(new SimpleMeterRegistry());
    private final HeldWriter writer = new HeldWriter();
    private boolean clientLeft;

    @Test
    void closeQueuedBehindABacklogThatOverflowsIsStillSent() {
        WebSocketTransport transport = transport(writer);
        transport.send("a".repeat(60));
        transport.send("b".repeat(60));
        transport.close(CloseCode.KICKED);

        runEventLoop();

        assertEquals(List.of("a".repeat(60)), written, "the frame that would overflow the backlog is not written");
        assertEquals(List.of("4006 kicked"), closes, "the decided close is sent, not lost");
        assertEquals(1, writer.flushes, "what was handed over is flushed before the close");
    }

    @Test
    void backlogOverTheLimitClosesSlowConsumer() {
        WebSocketTransport transport = transport(writer);
        transport.send("a".repeat(60));
        transport.send("b".repeat(60));

        runEventLoop();

        assertEquals(List.of("4009 slow_consumer"), closes);
    }

    @Test
    void writtenFramesNoLongerCountAgainstTheClient() {
        WebSocketTransport transport = transport(writer);
        transport.send("a".repeat(60));
        runEventLoop();
        writer.clientReadAll();
        transport.send("b".repeat(60));
        runEventLoop();

        assertEquals(List.of("a".repeat(60), "b".repeat(60)), written);
        assertTrue(closes.isEmpty());
    }

    @Test
    void oneDrainHandsEveryWaitingFrameOverAndFlushesOnce() {
        WebSocketTransport transport = transport(writer);
        transport.send("one");
        transport.send("two");
        transport.send("three");

        runEventLoop();

        assertEquals(List.of("one", "two", "three"), written);
        assertEquals(1, writer.flushes);
    }

    @Test
    void framesForAClientThatLeftAreNotWritten() {
        WebSocketTransport transport = transport(writer);
        transport.send("before");
        runEventLoop();
        clientLeft = true;
        transport.send("after");
        runEventLoop();

        assertEquals(List.of("before"), written);
        assertTrue(closes.isEmpty(), "no close frame to a socket that is already closed");
    }

    @Test
    void queueOverEightTimesTheLimitClosesSlowConsumerAtOnce() {
        WebSocketTransport transport = transport(writer);
        for (int i = 0; i < WebSocketTransport.QUEUE_FACTOR * 2; i++) {
            transport.send("q".repeat(60)); // the event loop never turns: this node is behind
        }

        assertEquals(List.of("4009 slow_consumer"), closes, "closed without waiting for the loop");
        runEventLoop();
        assertTrue(written.isEmpty(), "nothing of the backlog is written after the close");
        assertEquals(1, closes.size());
    }

    @Test
    void writeStallsOnlyWhenTheBacklogMakesNoProgressForTheWholeTimeout() {
        WebSocketTransport transport = transport(writer);
        transport.send("a".repeat(60));
        runEventLoop();

        assertFalse(transport.writeStalled(0, 10), "first sight of the backlog starts the clock");
        runEventLoop();
        assertFalse(transport.writeStalled(9, 10));
        writer.clientRead(10);
        runEventLoop();
        assertFalse(transport.writeStalled(12, 10), "progress restarts the clock");
        runEventLoop();
        assertFalse(transport.writeStalled(21, 10));
        runEventLoop();
        assertTrue(transport.writeStalled(22, 10), "no byte accepted for the whole timeout");

        writer.clientReadAll();
        runEventLoop();
        assertFalse(transport.writeStalled(40, 10), "no backlog, no stall");
    }

    @Test
    void theSweepLeavesTheChannelOfAConnectionWithNothingPendingAlone() {
        WebSocketTransport transport = transport(writer);
        transport.send("read at once");
        writer.clientReadsEverythingAtOnce = true;
        runEventLoop();
        int asked = writer.backloggedAsked;

        assertFalse(transport.writeStalled(0, 10));
        assertFalse(transport.writeStalled(20, 10));

        assertEquals(asked, writer.backloggedAsked, "the sweep did not reach for the channel");
        assertTrue(eventLoop.isEmpty(), "and scheduled no drain");
    }

    @Test
    void withoutTheChannelFailedWriteClosesWithInternalError() {
        WebSocketTransport transport = transport(null);
        transport.send("x");
        runEventLoop();
        pendingSends.get(0).fail(new IllegalStateException("broken pipe"));
        runEventLoop();

        assertEquals(List.of("1011 internal_error"), closes);
    }

    @Test
    void withoutTheChannelFramesAndTheCloseGoThroughSendTextInOrder() {
        WebSocketTransport transport = transport(null);
        transport.send("one");
        transport.send("two");
        transport.close(CloseCode.STALE);
        transport.send("after the close");

        runEventLoop();

        assertEquals(List.of("one", "two"), written);
        assertEquals(List.of("4004 stale"), closes);
    }

    private WebSocketTransport transport(FrameWriter frameWriter) {
        return new WebSocketTransport(connection(), frameWriter, eventLoop(), null, metrics, MAX_UNWRITTEN);
    }

    private void runEventLoop() {
        Handler<Void> task;
        while ((task = eventLoop.poll()) != null) {
            task.handle(null);
        }
    }

    /** Takes frames (one byte per character here) and lets the client read them only when the test says so. */
    private final class HeldWriter implements FrameWriter {
        long handed;
        long read;
        long progress;
        int flushes;
        int backloggedAsked;
        boolean clientReadsEverythingAtOnce;

        void clientRead(long bytes) {
            read = Math.min(handed, read + bytes);
        }

        void clientReadAll() {
            read = handed;
        }

        @Override
        public long backlog() {
            progress = read;
            return handed - read;
        }

        @Override
        public long write(String text, long room) {
            if (text.length() > room) {
                return -1;
            }
            written.add(text);
            handed += text.length();
            return text.length();
        }

        @Override
        public void flush() {
            flushes++;
            if (clientReadsEverythingAtOnce) {
                clientReadAll();
            }
        }

        @Override
        public boolean backlogged() {
            backloggedAsked++;
            return handed > read;
        }

        @Override
        public long progress() {
            return progress;
        }
    }

    /** A connection whose {@code sendText} completes when the test says so and whose closes are recorded. */
    private WebSocketConnection connection() {
        return (WebSocketConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { WebSocketConnection.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "sendText" -> {
                        written.add((String) args[0]);
                        Promise<Void> promise = Promise.promise();
                        pendingSends.add(promise);
                        yield Uni.createFrom().completionStage(promise.future().toCompletionStage());
                    }
                    case "close" -> {
                        CloseReason reason = (CloseReason) args[0];
                        closes.add(reason.getCode() + " " + reason.getMessage());
                        yield Uni.createFrom().voidItem();
                    }
                    case "isOpen" -> closes.isEmpty() && !clientLeft;
                    case "isClosed" -> !closes.isEmpty() || clientLeft;
                    case "id" -> "test-connection";
                    default -> throw new UnsupportedOperationException(method.getName());
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
