package dev.lobbyhub.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;

/** Admission is atomic: a burst of 3 × max-per-lobby connects seats exactly max-per-lobby. */
@QuarkusTest
class LobbyBurstTest {

    private static final int MAX_PER_LOBBY = 10;

    @TestHTTPResource("/")
    URI base;

    @Test
    void burstAdmitsExactlyTheLobbyLimit() throws Exception {
        String lobby = Tokens.unique("burst");
        int clients = 3 * MAX_PER_LOBBY;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            tokens.add(Tokens.valid(Tokens.unique("p")));
        }
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TestSocket>> attempts = new ArrayList<>();
        for (String token : tokens) {
            attempts.add(pool.submit(() -> {
                go.await();
                return TestSocket.join(base, lobby, token);
            }));
        }
        go.countDown();
        List<TestSocket> sockets = new ArrayList<>();
        try {
            for (Future<TestSocket> attempt : attempts) {
                sockets.add(attempt.get());
            }
            int welcomed = 0;
            int full = 0;
            for (TestSocket socket : sockets) {
                JsonObject first = socket.nextOrClose();
                if (first != null) {
                    assertEquals("welcome", first.getString("type"));
                    welcomed++;
                } else {
                    assertEquals(new TestSocket.Close(4002, "lobby_full"), socket.awaitClose());
                    full++;
                }
            }
            assertEquals(MAX_PER_LOBBY, welcomed);
            assertEquals(clients - MAX_PER_LOBBY, full);
        } finally {
            sockets.forEach(TestSocket::close);
            pool.shutdownNow();
        }
    }
}
