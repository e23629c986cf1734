package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Redis;

/** One node's subscriptions against a real Redis: confirmed subscribes, order, probes, a frozen Redis. */
class RedisChannelsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private RedisTestClient backend;
    private Redis redis;
    private RedisChannels channels;

    @BeforeEach
    void start() throws Exception {
        backend = RedisTestClient.start();
        redis = backend.redis();
        // The product's default bound: a busy CI machine can take longer than half a second for a round trip.
        channels = new RedisChannels(redis.getDelegate(), backend.context(), Duration.ofSeconds(2), redis::send);
        channels.replace().await().atMost(WAIT);
    }

    @AfterEach
    void stop() {
        if (channels != null) {
            channels.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Test
    void aMessagePublishedAfterTheSubscribeCompletedIsReceived() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        String channel = Tokens.unique("lobby");
        channels.acquire(channel, received::add).await().atMost(WAIT);

        assertEquals(1L, channels.publish(channel, "{\"n\":1}").await().atMost(WAIT), "one subscriber");
        assertEquals("{\"n\":1}", received.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void messagesOfOnePublisherArriveInOrderAcrossChannels() {
        List<String> received = new CopyOnWriteArrayList<>();
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        channels.acquire(a, received::add).await().atMost(WAIT);
        channels.acquire(b, received::add).await().atMost(WAIT);
        List<String> sent = new ArrayList<>();
        Uni<Long> chain = Uni.createFrom().item(0L);
        for (int i = 0; i < 1000; i++) {
            String message = Integer.toString(i);
            String channel = i % 2 == 0 ? a : b;
            sent.add(message);
            chain = chain.chain(() -> channels.publish(channel, message));
        }
        chain.await().atMost(WAIT);

        Awaitility.await().atMost(WAIT).until(() -> received.size() == sent.size());
        assertEquals(sent, received);
    }

    @Test
    void afterUnsubscribingNothingMoreArrives() {
        List<String> received = new CopyOnWriteArrayList<>();
        String gone = Tokens.unique("gone");
        String fence = Tokens.unique("fence");
        channels.acquire(gone, received::add).await().atMost(WAIT);
        channels.acquire(fence, received::add).await().atMost(WAIT);
        channels.release(gone);

        Awaitility.await().atMost(WAIT).until(() -> channels.publish(gone, "late").await().atMost(WAIT) == 0L);
        channels.publish(fence, "fence").await().atMost(WAIT);

        Awaitility.await().atMost(WAIT).until(() -> received.contains("fence"));
        assertEquals(List.of("fence"), received, "the fence came, and nothing before it");
    }

    @Test
    void holdsAreCountedAndTheLastWordWins() {
        List<String> received = new CopyOnWriteArrayList<>();
        String channel = Tokens.unique("lobby");
        // A feed leaving a lobby while another admission joins it, many times over: whatever the
        // interleaving of holds and releases, the channel ends subscribed exactly while held.
        for (int round = 0; round < 500; round++) {
            channels.acquire(channel, received::add).subscribe().with(ok -> {
            }, failure -> {
            });
            channels.release(channel);
        }
        channels.acquire(channel, received::add).await().atMost(WAIT);

        assertEquals(1L, channels.publish(channel, "after").await().atMost(WAIT), "subscribed once, on one connection");
        Awaitility.await().atMost(WAIT).until(() -> received.contains("after"));

        channels.release(channel);
        Awaitility.await().atMost(WAIT).until(() -> channels.publish(channel, "late").await().atMost(WAIT) == 0L);
    }

    @Test
    void twoHoldsNeedTwoReleases() {
        String channel = Tokens.unique("lobby");
        channels.acquire(channel).await().atMost(WAIT);
        channels.acquire(channel).await().atMost(WAIT);
        channels.release(channel);
        String fence = Tokens.unique("fence");
        channels.acquire(fence).await().atMost(WAIT); // queued after the release: it has been handled

        assertEquals(1L, channels.publish(channel, "still").await().atMost(WAIT), "one hold left: still subscribed");
    }

    @Test
    void replacingTheConnectionSubscribesEveryHeldChannelAgainOnce() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        channels.acquire(a, received::add).await().atMost(WAIT);
        channels.acquire(b, received::add).await().atMost(WAIT);

        channels.replace().await().atMost(WAIT);

        assertTrue(channels.isConnected());
        assertEquals(1L, channels.publish(a, "a1").await().atMost(WAIT), "the old connection is gone");
        assertEquals(1L, channels.publish(b, "b1").await().atMost(WAIT));
        Awaitility.await().atMost(WAIT).until(() -> received.size() == 2);
        assertEquals(List.of("a1", "b1"), received);
    }

    @Test
    void aProbeComesBackThroughTheSubscriptionAndNeverReachesTheListener() {
        List<String> received = new CopyOnWriteArrayList<>();
        String own = Tokens.unique("node");
        channels.acquire(own, received::add).await().atMost(WAIT);

        channels.probe(own).await().atMost(WAIT);

        channels.publish(own, "fence").await().atMost(WAIT);
        Awaitility.await().atMost(WAIT).until(() -> received.contains("fence"));
        assertEquals(List.of("fence"), received);
    }

    @Test
    void aFrozenRedisFailsTheProbeWithinTheTimeout() throws Exception {
        String own = Tokens.unique("node");
        channels.acquire(own, message -> {
        }).await().atMost(WAIT);
        backend.server().freeze();
        try {
            long started = System.nanoTime();
            assertThrows(RuntimeException.class, () -> channels.probe(own).await().atMost(WAIT));
            assertTrue(System.nanoTime() - started < WAIT.toNanos());
        } finally {
            backend.server().thaw();
        }
        // Once Redis runs again, a probe comes back (the first may still meet the backlog of the freeze).
        Awaitility.await().atMost(WAIT).ignoreExceptions().until(() -> {
            channels.probe(own).await().atMost(WAIT);
            return true;
        });
    }
}
