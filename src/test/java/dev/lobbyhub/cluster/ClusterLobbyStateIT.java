package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §12 on three packaged nodes and one Redis: every node sees one lobby state; updates racing
 * from several nodes with the same expected version have exactly one winner; when the owner's node
 * dies, ownership passes once, when its held seat ends, not before.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterLobbyStateIT {

    private static final long GRACE_MS = 7000;

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    private final List<TestSocket> sockets = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("stateit").faultTimeouts()
                .env("LOBBYHUB_USERS_RECONNECT_GRACE", GRACE_MS + "ms")
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", "4")
                .env("LOBBYHUB_SHUTDOWN_DRAIN_PERIOD", "1s")
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void everyNodeReady() {
        cluster.awaitAllReady();
    }

    @AfterEach
    void closeSocketsAndBringBackDeadNodes() throws Exception {
        sockets.forEach(TestSocket::close);
        for (int i = 0; i < cluster.size(); i++) {
            if (!cluster.node(i).isAlive()) {
                cluster.restart(i);
            }
        }
    }

    private TestSocket join(int node, String lobby, String user) {
        TestSocket socket = TestSocket.join(cluster.base(node), lobby, Tokens.valid(user));
        sockets.add(socket);
        return socket;
    }

    private static final Predicate<JsonObject> PING = frame -> "health_ping".equals(frame.getString("type"));

    private static JsonObject next(TestSocket socket, String type) {
        return socket.expectSkipping(type, PING);
    }

    /** The next frame of this type after up to the grace and a node timeout more (a socket waits less for one frame). */
    private static JsonObject nextAfterGrace(TestSocket socket, String type) {
        long deadline = System.nanoTime() + (GRACE_MS + 15_000) * 1_000_000;
        while (true) {
            try {
                return socket.expectSkipping(type, PING);
            } catch (AssertionError noFrameYet) {
                if (System.nanoTime() > deadline || !noFrameYet.getMessage().startsWith("no frame within")) {
                    throw noFrameYet;
                }
            }
        }
    }

    @Test
    @Order(1)
    void everyNodeSeesOneStateAndMembersOnEveryNodeHearEachChange() {
        String lobby = Tokens.unique("state");
        String a = Tokens.unique("a");
        String b = Tokens.unique("b");
        String c = Tokens.unique("c");
        TestSocket first = join(0, lobby, a);
        first.expect("welcome");
        TestSocket second = join(1, lobby, b);
        assertEquals(a, second.expect("welcome").getString("owner"));
        next(first, "member_joined");
        first.send(new JsonObject().put("type", "lobby_update").put("visibility", "public")
                .put("properties", new JsonObject().put("mode", "ctf")));
        JsonObject heard = Frames.bare(next(second, "lobby_updated"));
        assertEquals(Frames.bare(next(first, "lobby_updated")), heard);
        second.send(new JsonObject().put("type", "member_update").put("properties", new JsonObject().put("team", "red")));
        next(first, "member_updated");
        next(second, "member_updated");

        TestSocket third = join(2, lobby, c);
        JsonObject welcome = third.expect("welcome");
        assertEquals(a, welcome.getString("owner"));
        assertEquals("public", welcome.getString("visibility"));
        assertEquals(new JsonObject().put("mode", "ctf"), welcome.getJsonObject("properties"));
        assertEquals(1L, welcome.getLong("version"));
        assertEquals(new JsonObject().put(b, new JsonObject().put("team", "red")), welcome.getJsonObject("member_properties"));
        for (int node = 0; node < 3; node++) {
            JsonObject detail = cluster.admin().get(cluster.base(node), "/api/v1/lobbies/" + lobby).ok();
            assertEquals(a, detail.getString("owner"), "node " + node);
            assertEquals(1L, detail.getLong("version"), "node " + node);
        }
    }

    @Test
    @Order(2)
    void updatesRacingFromThreeNodesWithTheSameExpectedVersionHaveExactlyOneWinner() {
        for (int round = 0; round < 5; round++) {
            String lobby = Tokens.unique("race");
            String owner = Tokens.unique("owner");
            TestSocket o = join(0, lobby, owner);
            o.expect("welcome");
            TestSocket watcher = join(1, lobby, Tokens.unique("watcher"));
            watcher.expect("welcome");
            next(o, "member_joined");
            AdminHttp admin = cluster.admin();
            JsonObject body = new JsonObject().put("locked", true).put("expected_version", 0);
            List<CompletableFuture<Integer>> patches = new ArrayList<>();
            o.send(new JsonObject().put("type", "lobby_update").put("locked", false).put("expected_version", 0)
                    .put("id", "mine"));
            for (int node : new int[] { 1, 2 }) {
                patches.add(CompletableFuture.supplyAsync(
                        () -> admin.patch(cluster.base(node), "/api/v1/lobbies/" + lobby, body).status()));
            }
            int won = 0;
            for (CompletableFuture<Integer> patch : patches) {
                int status = patch.join();
                assertTrue(status == 200 || status == 409, "status " + status);
                won += status == 200 ? 1 : 0;
            }
            // The owner hears the one update that won, and its own conflict when it lost.
            JsonObject first = o.expectSkipping("lobby_updated",
                    frame -> PING.test(frame) || "error".equals(frame.getString("type")));
            assertEquals(1L, first.getLong("version"));
            boolean ownerWon = first.getString("by") != null;
            assertEquals(1, won + (ownerWon ? 1 : 0), "round " + round + ": exactly one winner");
            assertEquals(1L, next(watcher, "lobby_updated").getLong("version"));
            // The fence: the next update is version 2, heard next by the watcher on another node.
            assertEquals(200, admin.patch(cluster.base(2), "/api/v1/lobbies/" + lobby,
                    new JsonObject().put("visibility", "public").put("expected_version", 1)).status());
            assertEquals(2L, next(watcher, "lobby_updated").getLong("version"));
        }
    }

    @Test
    @Order(3)
    void whenTheOwnersNodeDiesOwnershipPassesOnceWhenItsHeldSeatEnds() throws Exception {
        String lobby = Tokens.unique("lost");
        String owner = Tokens.unique("owner");
        String b = Tokens.unique("b");
        String c = Tokens.unique("c");
        TestSocket o = join(2, lobby, owner);
        o.expect("welcome");
        TestSocket second = join(0, lobby, b);
        second.expect("welcome");
        TestSocket third = join(1, lobby, c);
        third.expect("welcome");
        next(second, "member_joined");

        cluster.kill(2);
        try {
            for (TestSocket member : List.of(second, third)) {
                JsonObject away = nextAfterGrace(member, "member_away");
                assertEquals(owner, away.getString("user_id"));
                assertEquals("node_lost", away.getString("reason"));
            }
            // Still the owner while away: no handover yet.
            assertEquals(owner, cluster.admin().get(cluster.base(0), "/api/v1/lobbies/" + lobby).ok().getString("owner"));
            second.send(new JsonObject().put("type", "lobby_update").put("locked", true).put("id", "early"));
            assertEquals("not_owner", next(second, "error").getString("code"));

            JsonObject changed = new JsonObject().put("type", "owner_changed").put("user_id", b).put("previous", owner);
            for (TestSocket member : List.of(second, third)) {
                JsonObject left = nextAfterGrace(member, "member_left");
                assertEquals("node_lost", left.getString("reason"));
                assertEquals(changed, Frames.bare(member.expectSkipping("owner_changed", PING)),
                        "the owner's leave, then at once the handover");
            }
            // Once: the new owner's update is the next thing the other member hears.
            second.send(new JsonObject().put("type", "lobby_update").put("locked", true));
            assertEquals(b, next(third, "lobby_updated").getString("by"));
        } finally {
            cluster.restart(2);
        }
    }
}
