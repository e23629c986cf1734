package dev.lobbyhub.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault fixture itself: {@link RedisProxy} in front of a real Redis, and {@link RedisServer#command}. */
class RedisProxyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private RedisServer redis;
    private RedisProxy proxy;

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.start();
        proxy = RedisProxy.start(redis);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A raw client through the proxy: inline commands, one reply line each. */
    private Socket client() throws IOException {
        Socket socket = new Socket("127.0.0.1", proxy.port());
        socket.setSoTimeout(2000);
        return socket;
    }

    private static String ask(Socket socket, String inline) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("closed");
            }
            line.append((char) b);
        }
        return line.toString().trim();
    }

    @Test
    void forwardsBothWaysAndCountsConnections() throws IOException {
        try (Socket a = client(); Socket b = client()) {
            assertEquals("+PONG", ask(a, "PING"));
            assertEquals("+OK", ask(b, "SET k v"));
            assertEquals("$1", ask(a, "GET k"));
            assertEquals(2, proxy.openConnections());
        }
        Awaitility.await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
        assertEquals(1L, redis.dbSize());
        assertEquals(List.of("k"), redis.keys("*"));
    }

    @Test
    void aBlackHoleAnswersNothingAndClosesNothingThenOnlyNewConnectionsWorkAgain() throws Exception {
        try (Socket old = client()) {
            assertEquals("+PONG", ask(old, "PING"));
            proxy.blackHole();
            assertThrows(SocketTimeoutException.class, () -> ask(old, "PING"));
            try (Socket during = client()) {
                assertThrows(SocketTimeoutException.class, () -> ask(during, "PING"));
            }
            // Redis letting go of the dead connection is not passed on either.
            redis.killClients("normal");
            proxy.heal();
            try (Socket fresh = client()) {
                assertEquals("+PONG", ask(fresh, "PING"));
            }
            old.setSoTimeout(500);
            assertThrows(SocketTimeoutException.class, () -> old.getInputStream().read());
            assertEquals(1, proxy.deadConnections());
        }
        Awaitility.await().atMost(WAIT).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void dropAllClosesEveryConnectionAndNewOnesStillWork() throws IOException {
        try (Socket a = client(); Socket b = client()) {
            assertEquals("+PONG", ask(a, "PING"));
            assertEquals("+PONG", ask(b, "PING"));
            proxy.dropAll();
            assertEquals(0, proxy.openConnections());
            assertThrows(IOException.class, () -> ask(a, "PING"));
            try (Socket c = client()) {
                assertEquals("+PONG", ask(c, "PING"));
            }
        }
    }

    @Test
    void aRedisStartedAgainOnTheSamePortIsReachedByNewConnections() throws Exception {
        try (Socket a = client()) {
            assertEquals("+PONG", ask(a, "PING"));
            redis.kill();
            assertThrows(IOException.class, () -> ask(a, "PING"));
        }
        redis = RedisServer.start(redis.port());
        try (Socket b = client()) {
            assertEquals("+PONG", ask(b, "PING"));
        }
    }

    @Test
    void commandsReadEveryReplyKind() {
        redis.command("HSET", "h", "f1", "v1", "f2", "v2");
        assertEquals(Map.of("f1", "v1", "f2", "v2"), redis.hgetAll("h"));
        assertEquals(0L, redis.subscribers("nobody"));
        assertTrue(redis.killClients("pubsub") >= 0);
        assertThrows(RedisServer.RedisError.class, () -> redis.command("NOSUCHCOMMAND"));
        assertEquals(null, redis.command("GET", "missing"));
    }
}
