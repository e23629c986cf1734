package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.Tokens;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/** The one ordered connection against a real Redis: merged items keep their place among other commands. */
class PinnedConnectionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Pushes each item to the list KEYS[1] and answers the items: a stand-in for the append script. */
    private static final String PUSH_EACH = "for _, v in ipairs(ARGV) do redis.call('RPUSH', KEYS[1], v) end return ARGV";

    private RedisTestClient backend;
    private PinnedConnection pinned;
    private final List<Integer> callSizes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        backend = RedisTestClient.start();
        pinned = new PinnedConnection(backend.redis().getDelegate(), backend.context(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        if (pinned != null) {
            pinned.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private PinnedConnection.Merge pushTo(String list) {
        return new PinnedConnection.Merge() {
            @Override
            public Request request(List<Object> items) {
                callSizes.add(items.size()); // on the connection's context, one call at a time
                Request eval = Request.cmd(Command.EVAL).arg(PUSH_EACH).arg(1).arg(list);
                items.forEach(item -> eval.arg(item.toString()));
                return eval;
            }

            @Override
            public int maxItems() {
                return 16;
            }
        };
    }

    @Test
    void itemsWaitingTogetherGoInOneCallAndCommandsSentAfterThemStayAfterThem() throws Exception {
        String list = Tokens.unique("order");
        PinnedConnection.Merge merge = pushTo(list);
        List<String> sent = new ArrayList<>();
        List<CompletableFuture<String>> answers = new ArrayList<>();
        CompletableFuture<Void> allSent = new CompletableFuture<>();
        // Sent from the connection's own context in one turn, as a burst of members' messages is.
        backend.context().runOnContext(v -> {
            for (int i = 0; i < 100; i++) {
                String item = "m" + i;
                sent.add(item);
                answers.add(pinned.sendMerged(merge, item).map(Response::toString).subscribeAsCompletionStage());
                if (i % 30 == 29) {
                    String plain = "plain" + i;
                    sent.add(plain);
                    pinned.send(Request.cmd(Command.RPUSH).arg(list).arg(plain)).subscribe().with(x -> {
                    });
                }
            }
            allSent.complete(null);
        });
        allSent.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        for (int i = 0; i < answers.size(); i++) {
            assertEquals("m" + i, answers.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS), "each item gets its own answer");
        }
        List<String> stored = new ArrayList<>();
        pinned.send(Request.cmd(Command.LRANGE).arg(list).arg(0).arg(-1)).await().atMost(WAIT)
                .forEach(r -> stored.add(r.toString()));

        assertEquals(sent, stored, "one order: merged items and the commands sent between them");
        assertEquals(100, callSizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(callSizes.size() < 100 && callSizes.stream().allMatch(n -> n <= 16),
                "items merged, at most 16 a call: " + callSizes);
    }

    @Test
    void aLoneItemGoesOutWithoutWaitingForOthers() {
        String list = Tokens.unique("lone");
        assertEquals("only", pinned.sendMerged(pushTo(list), "only").await().atMost(WAIT).toString());
        assertEquals(List.of(1), callSizes);
    }
}
