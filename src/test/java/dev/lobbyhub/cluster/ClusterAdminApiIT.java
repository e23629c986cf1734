package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * SPEC §7 and §9 with three packaged nodes on one Redis: any node answers the admin API for the whole
 * cluster, and a message, ping or kick sent through one node reaches a user on another. Each node has
 * its own {@code max-connections}, so the cluster's figure is visibly their sum.
 */
class ClusterAdminApiIT {

    /** {@code max-connections} of node-a, node-b and node-c. */
    private static final int[] MAX_CONNECTIONS = {1_000, 2_000, 3_000};
    /** cluster.node-timeout (default): a live node renews its lease well within it. */
    private static final long NODE_TIMEOUT_MS = 15_000;

    private static ClusterNodes cluster;

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() throws Exception {
        ClusterNodes.Builder builder = ClusterNodes.builder().nodes(3).keyPrefix("adminit");
        for (int i = 0; i < MAX_CONNECTIONS.length; i++) {
            builder.nodeEnv(i, "LOBBYHUB_LIMITS_MAX_CONNECTIONS", Integer.toString(MAX_CONNECTIONS[i]));
        }
        cluster = builder.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static URI node(int index) {
        return cluster.base(index);
    }

    private static AdminHttp admin() {
        return cluster.admin();
    }

    private static String user(String id) {
        return "/api/v1/users/" + AdminHttp.segment(id);
    }

    private static void assertFromAdmin(JsonObject message, String type, Object data) {
        assertEquals(type, message.getString("type"), message::encode);
        assertTrue(message.containsKey("from"), () -> "from must be present (null): " + message);
        assertNull(message.getValue("from"), message::encode);
        assertEquals(data, message.getValue("data"), message::encode);
        assertNotNull(message.getLong("ts"), message::encode);
    }

    @Test
    void aNodeThatDoesNotHostTheUserLooksUpMessagesPingsAndKicks() {
        String lobby = Tokens.unique("admin");
        String ann = Tokens.unique("ann");
        String bob = Tokens.unique("bob");
        String annToken = Tokens.hs256(Tokens.TEST_SECRET, claims -> {
            claims.setSubject(ann);
            claims.setClaim("name", "Ann");
        });
        URI third = node(2);
        long before = System.currentTimeMillis();
        try (TestSocket a = TestSocket.joinWelcomed(node(0), lobby, annToken);
                TestSocket b = TestSocket.joinWelcomed(node(1), lobby, Tokens.valid(bob))) {
            long after = System.currentTimeMillis();
            assertEquals(new JsonObject().put("type", "member_joined").put("user_id", bob), Frames.bare(a.next()));

            // Look-up: node-c answers for ann on node-a.
            JsonObject seen = admin().get(third, user(ann)).ok();
            assertEquals(Set.of("user_id", "connected", "lobby", "connected_at", "rtt_ms", "node_id"), seen.fieldNames(),
                    seen::encode);
            assertEquals(ann, seen.getString("user_id"));
            assertEquals(true, seen.getBoolean("connected"));
            assertEquals(lobby, seen.getString("lobby"));
            assertEquals(cluster.nodeId(0), seen.getString("node_id"));
            assertTrue(seen.getString("node_id").startsWith(cluster.hostname(0)), seen::encode);
            long connectedAt = seen.getLong("connected_at");
            assertTrue(connectedAt >= before - 1_000 && connectedAt <= after + 1_000, () -> "connected_at " + connectedAt);

            // Lobby detail from node-c: both members, each with its own node.
            JsonObject detail = admin().get(third, "/api/v1/lobbies/" + lobby).ok();
            assertEquals(lobby, detail.getString("code"));
            assertEquals(10, detail.getInteger("max"));
            JsonArray members = detail.getJsonArray("members");
            assertEquals(2, members.size(), members::encode);
            Map<String, JsonObject> byUser = new HashMap<>();
            for (int i = 0; i < members.size(); i++) {
                JsonObject member = members.getJsonObject(i);
                assertEquals(Set.of("user_id", "name", "connected_at", "rtt_ms", "node_id", "state", "away_until", "properties"),
                        member.fieldNames(), member::encode);
                assertEquals("connected", member.getString("state"), member::encode);
                byUser.put(member.getString("user_id"), member);
            }
            assertEquals(Set.of(ann, bob), byUser.keySet());
            assertEquals("Ann", byUser.get(ann).getString("name"));
            assertNull(byUser.get(bob).getValue("name"));
            assertEquals(cluster.nodeId(0), byUser.get(ann).getString("node_id"));
            assertEquals(cluster.nodeId(1), byUser.get(bob).getString("node_id"));

            // A direct message through node-c reaches ann on node-a.
            JsonObject gift = new JsonObject().put("gift", 42);
            assertEquals(new JsonObject().put("delivered", true),
                    admin().post(third, user(ann) + "/messages", new JsonObject().put("data", gift)).ok());
            assertFromAdmin(a.next(), "direct_message", gift);

            // A ping through node-c: ann's client answers the health_ping node-a sends it.
            JsonObject ping = admin().post(third, user(ann) + "/ping?timeout_ms=5000").ok();
            assertEquals(true, ping.getBoolean("alive"), ping::encode);
            long latency = ping.getLong("latency_ms");
            assertTrue(latency >= 0 && latency <= 5_000, () -> "latency_ms " + latency);

            // A lobby message through node-c reaches both nodes' members, counted over the nodes.
            assertEquals(new JsonObject().put("delivered", 2),
                    admin().post(third, "/api/v1/lobbies/" + lobby + "/messages",
                            new JsonObject().put("data", "round starts")).ok());
            assertFromAdmin(a.next(), "lobby_message", "round starts");
            assertFromAdmin(b.next(), "lobby_message", "round starts");

            // exclude_user_id holds across nodes: ann's next frame is the later direct message (the fence).
            assertEquals(new JsonObject().put("delivered", 1),
                    admin().post(third, "/api/v1/lobbies/" + lobby + "/messages",
                            new JsonObject().put("data", "not for ann").put("exclude_user_id", ann)).ok());
            assertFromAdmin(b.next(), "lobby_message", "not for ann");
            assertEquals(new JsonObject().put("delivered", true),
                    admin().post(third, user(ann) + "/messages", new JsonObject().put("data", "fence")).ok());
            assertFromAdmin(a.next(), "direct_message", "fence");

            // A kick through node-c closes ann's connection on node-a; bob on node-b sees her leave.
            AdminHttp.Answer kick = admin().delete(third, user(ann) + "/connection");
            assertEquals(204, kick.status(), kick::body);
            assertEquals(new TestSocket.Close(4006, "kicked"), a.awaitClose());
            assertEquals(new JsonObject().put("type", "member_left").put("user_id", ann).put("reason", "kicked"), Frames.bare(b.next()));

            Awaitility.await("ann disconnected cluster-wide").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> !admin().get(third, user(ann)).ok().getBoolean("connected"));
            JsonObject gone = admin().get(third, user(ann)).ok();
            assertEquals(Set.of("user_id", "connected"), gone.fieldNames(), gone::encode);
            assertEquals(404, admin().post(third, user(ann) + "/messages", new JsonObject().put("data", 1)).status());
            assertEquals(404, admin().post(third, user(ann) + "/ping").status());
            assertEquals(404, admin().delete(third, user(ann) + "/connection").status());
            JsonArray left = admin().get(node(0), "/api/v1/lobbies/" + lobby).ok().getJsonArray("members");
            assertEquals(1, left.size(), left::encode);
            assertEquals(bob, left.getJsonObject(0).getString("user_id"));
        }
    }

    @Test
    void aLobbyMessageThroughOneNodeReachesMembersOnEveryNodeOnce() {
        String lobby = Tokens.unique("all");
        List<TestSocket> members = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                members.add(TestSocket.joinWelcomed(node(i % cluster.size()), lobby, Tokens.valid(Tokens.unique("m"))));
            }
            for (int sender = 0; sender < cluster.size(); sender++) {
                String data = "from " + cluster.hostname(sender);
                assertEquals(new JsonObject().put("delivered", members.size()),
                        admin().post(node(sender), "/api/v1/lobbies/" + lobby + "/messages",
                                new JsonObject().put("data", data)).ok());
            }
            // Each member gets the three messages, in the order they were sent (each answer came after
            // its delivery), once each; member_joined of later members may come first.
            for (TestSocket member : members) {
                for (int sender = 0; sender < cluster.size(); sender++) {
                    JsonObject message = member.expectSkipping("lobby_message",
                            frame -> "member_joined".equals(frame.getString("type")));
                    assertFromAdmin(message, "lobby_message", "from " + cluster.hostname(sender));
                }
            }
            // The fence: one more admin message is every member's next lobby_message, so none came twice.
            String fence = Tokens.unique("fence");
            assertEquals(members.size(), admin().post(node(1), "/api/v1/lobbies/" + lobby + "/messages",
                    new JsonObject().put("data", fence)).ok().getInteger("delivered"));
            for (TestSocket member : members) {
                assertFromAdmin(member.expectSkipping("lobby_message",
                        frame -> "member_joined".equals(frame.getString("type"))), "lobby_message", fence);
            }
        } finally {
            members.forEach(TestSocket::close);
        }
    }

    @Test
    void everyNodeIdIsItsHostnamePlusASuffix() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < cluster.size(); i++) {
            String id = cluster.nodeId(i);
            assertTrue(id.startsWith(cluster.hostname(i)), id);
            assertNotEquals(cluster.hostname(i), id, "a suffix new at every start");
            assertTrue(ids.add(id));
        }
    }

    @Test
    void statsOnAnyNodeAnswerClusterTotalsAndOneLineForEachNode() {
        String first = Tokens.unique("stats");
        String second = Tokens.unique("stats");
        int[] expected = {3, 2, 1};
        List<TestSocket> sockets = new ArrayList<>();
        try {
            // first: two on node-a, one on node-b; second: one on each node.
            sockets.add(TestSocket.joinWelcomed(node(0), first, Tokens.valid(Tokens.unique("s"))));
            sockets.add(TestSocket.joinWelcomed(node(0), first, Tokens.valid(Tokens.unique("s"))));
            sockets.add(TestSocket.joinWelcomed(node(1), first, Tokens.valid(Tokens.unique("s"))));
            for (int i = 0; i < cluster.size(); i++) {
                sockets.add(TestSocket.joinWelcomed(node(i), second, Tokens.valid(Tokens.unique("s"))));
            }
            int total = 6;
            int max = MAX_CONNECTIONS[0] + MAX_CONNECTIONS[1] + MAX_CONNECTIONS[2];
            for (int asked = 0; asked < cluster.size(); asked++) {
                int asking = asked;
                // Closes left over from earlier tests may still be settling: wait for the exact figures.
                Awaitility.await("stats of " + cluster.hostname(asking)).atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                            JsonObject stats = admin().get(node(asking), "/api/v1/stats").ok();
                            assertEquals(Set.of("total_connections", "max_connections", "capacity_percent",
                                    "active_lobbies", "max_per_lobby", "node_id", "nodes"), stats.fieldNames(),
                                    stats::encode);
                            assertEquals(cluster.nodeId(asking), stats.getString("node_id"));
                            assertEquals(total, stats.getInteger("total_connections"), stats::encode);
                            assertEquals(max, stats.getInteger("max_connections"), stats::encode);
                            assertEquals(total * 100L / max, stats.getLong("capacity_percent"), stats::encode);
                            assertEquals(2, stats.getInteger("active_lobbies"), stats::encode);
                            assertEquals(10, stats.getInteger("max_per_lobby"), stats::encode);

                            JsonArray nodes = stats.getJsonArray("nodes");
                            assertEquals(cluster.size(), nodes.size(), stats::encode);
                            int sum = 0;
                            int maxSum = 0;
                            Set<String> listed = new HashSet<>();
                            for (int n = 0; n < nodes.size(); n++) {
                                JsonObject line = nodes.getJsonObject(n);
                                assertEquals(Set.of("node_id", "connections", "max_connections", "capacity_percent",
                                        "last_seen_ms"), line.fieldNames(), line::encode);
                                String id = line.getString("node_id");
                                int index = cluster.indexOf(id).orElseThrow(() -> new AssertionError(
                                        "a node nobody started: " + line.encode()));
                                assertTrue(id.startsWith(cluster.hostname(index)), id);
                                assertTrue(listed.add(id), () -> "listed twice: " + stats.encode());
                                int connections = line.getInteger("connections");
                                int nodeMax = line.getInteger("max_connections");
                                assertEquals(expected[index], connections, line::encode);
                                assertEquals(MAX_CONNECTIONS[index], nodeMax, line::encode);
                                assertEquals(connections * 100L / nodeMax, line.getLong("capacity_percent"), line::encode);
                                long seenMs = line.getLong("last_seen_ms");
                                assertTrue(seenMs >= 0 && seenMs < NODE_TIMEOUT_MS, line::encode);
                                sum += connections;
                                maxSum += nodeMax;
                            }
                            assertEquals(stats.getInteger("total_connections"), sum, "total is the sum over nodes");
                            assertEquals(stats.getInteger("max_connections"), maxSum, "max is the sum over nodes");
                        });
            }

            // The lobby list, from a node, counts members over all nodes.
            JsonArray lobbies = admin().get(node(2), "/api/v1/lobbies").ok().getJsonArray("lobbies");
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i < lobbies.size(); i++) {
                counts.put(lobbies.getJsonObject(i).getString("code"), lobbies.getJsonObject(i).getInteger("member_count"));
            }
            assertEquals(3, counts.get(first), lobbies::encode);
            assertEquals(3, counts.get(second), lobbies::encode);
        } finally {
            sockets.forEach(TestSocket::close);
        }
        Awaitility.await("connections closed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> admin().get(node(1), "/api/v1/stats").ok().getInteger("total_connections") == 0);
        assertFalse(admin().get(node(0), "/api/v1/lobbies/" + first).status() == 200, "an empty lobby is gone");
    }
}
