package dev.lobbyhub.cluster;

import static dev.lobbyhub.testing.Frames.isType;
import static dev.lobbyhub.testing.Frames.lobbyMembers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

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
 * Issue 9's randomized fault test: a few hundred client actions (join, leave, reconnect elsewhere) over
 * three nodes while one node is killed and started again, the nodes' Redis command connections and
 * then their subscriptions are killed ({@code CLIENT KILL}) again and again, Redis is frozen and
 * thawed, and later killed and replaced by an empty one. Afterwards the
 * presence every open client believes (its welcome, plus joins, minus leaves) equals the admin API's
 * lobby members on every node, equals the set of open connections, and no lobby is over
 * {@code max-per-lobby}; outside the Redis outages no lobby was ever over it.
 *
 * <p>The choices come from one seed, printed at the start; {@code -Dfault.seed=<seed>} replays them
 * (the timing of the cluster's answers still varies from run to run).
 */
class ClusterFaultRandomIT {

    private static final int MAX_PER_LOBBY = 3;
    private static final int LOBBIES = 5;
    private static final int USERS = 24;
    private static final int ACTIONS = 240;
    private static final int KILL_AT = ACTIONS / 5;
    private static final int RESTART_AT = 2 * ACTIONS / 5;
    private static final int FREEZE_AT = 3 * ACTIONS / 5;
    private static final int THAW_AT = FREEZE_AT + 25;
    private static final int REDIS_KILL_AT = 4 * ACTIONS / 5;
    private static final int REDIS_START_AT = REDIS_KILL_AT + 15;
    /** Windows of steps during which every third step kills the nodes' Redis connections of one kind. */
    private static final int NORMAL_KILLS_FROM = ACTIONS / 10;
    private static final int PUBSUB_KILLS_FROM = RESTART_AT + ACTIONS / 10;
    private static final int KILL_WINDOW = 12;
    private static final Duration SETTLED_WITHIN = Duration.ofSeconds(30);

    private static ClusterNodes cluster;
    /** Per lobby and epoch, the frame each offset was heard as. */
    private static final Map<String, Map<Long, JsonObject>> HEARD = new ConcurrentHashMap<>();
    private static final List<String> ORDER_VIOLATIONS = new CopyOnWriteArrayList<>();

    @RegisterExtension
    static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ClusterNodes.builder().nodes(3).keyPrefix("faultrandomit")
                .faultTimeouts()
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", Integer.toString(MAX_PER_LOBBY))
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One connection the test opened and was welcomed on, and the presence it has been told of. */
    private static final class Client {
        final String user;
        final String lobby;
        final int node;
        final String nodeId;
        final TestSocket socket;
        final Set<String> believed = new LinkedHashSet<>();
        /** The lobby log's epoch and the last offset this client heard (SPEC §11). */
        String epoch;
        long lastOffset;
        /** The lobby's state as this client has been told it (SPEC §12). */
        String owner;
        long version;
        JsonObject properties;
        final Map<String, JsonObject> memberProperties = new TreeMap<>();

        Client(String user, String lobby, int node, String nodeId, TestSocket socket, JsonObject welcome) {
            this.epoch = welcome.getString("epoch");
            this.lastOffset = welcome.getLong("offset", 0L);
            this.user = user;
            this.lobby = lobby;
            this.node = node;
            this.nodeId = nodeId;
            this.socket = socket;
            JsonArray members = welcome.getJsonArray("members");
            for (int i = 0; i < members.size(); i++) {
                believed.add(members.getString(i));
            }
            this.owner = welcome.getString("owner");
            this.version = welcome.getLong("version");
            this.properties = welcome.getJsonObject("properties");
            JsonObject props = welcome.getJsonObject("member_properties");
            props.fieldNames().forEach(member -> memberProperties.put(member, props.getJsonObject(member)));
        }

        /** The state this client believes, in the admin API's terms: owner, version, properties, each member's. */
        JsonObject believedState() {
            JsonObject members = new JsonObject();
            believed.forEach(user -> members.put(user, memberProperties.getOrDefault(user, new JsonObject())));
            return new JsonObject().put("owner", owner).put("version", version).put("properties", properties)
                    .put("members", members);
        }

        /**
         * Applies the presence events received so far, and checks the lobby's order: this client hears
         * offsets in increasing order, and an offset of a lobby's epoch is the same frame for everyone.
         */
        void catchUp() {
            for (JsonObject frame : Frames.drain(socket)) {
                if (isType(frame, "log_reset")) {
                    epoch = frame.getString("epoch");
                    lastOffset = frame.getLong("offset");
                    // The lobby's state went with its log: it starts afresh (owner_changed, lobby_updated follow).
                    memberProperties.clear();
                    continue;
                }
                Long offset = frame.getLong("offset");
                if (offset != null && epoch != null) {
                    if (offset <= lastOffset) {
                        ORDER_VIOLATIONS.add(this + " heard offset " + offset + " after " + lastOffset + ": " + frame.encode());
                    }
                    lastOffset = offset;
                    JsonObject other = HEARD.computeIfAbsent(lobby + " " + epoch, key -> new ConcurrentHashMap<>())
                            .putIfAbsent(offset, frame);
                    if (other != null && !other.equals(frame)) {
                        ORDER_VIOLATIONS.add(lobby + " offset " + offset + " was " + other.encode() + " for one member and "
                                + frame.encode() + " for " + this);
                    }
                }
                if (isType(frame, "member_joined")) {
                    believed.add(frame.getString("user_id"));
                } else if (isType(frame, "member_left")) {
                    believed.remove(frame.getString("user_id"));
                    memberProperties.remove(frame.getString("user_id"));
                } else if (isType(frame, "owner_changed")) {
                    owner = frame.getString("user_id");
                } else if (isType(frame, "lobby_updated")) {
                    version = frame.getLong("version");
                    properties = frame.getJsonObject("properties");
                } else if (isType(frame, "member_updated")) {
                    JsonObject props = frame.getJsonObject("properties");
                    if (props.isEmpty()) {
                        memberProperties.remove(frame.getString("user_id"));
                    } else {
                        memberProperties.put(frame.getString("user_id"), props);
                    }
                }
            }
        }

        @Override
        public String toString() {
            return user + "@" + lobby + "@" + cluster.hostname(node);
        }
    }

    private final List<Client> clients = new ArrayList<>();
    private final List<String> trace = new ArrayList<>();

    private static URI node(int index) {
        return cluster.base(index);
    }

    private static AdminHttp admin() {
        return cluster.admin();
    }

    @Test
    void presenceConvergesAfterRandomTrafficThroughNodeDeathAndARedisFreeze() throws Exception {
        long seed = Long.getLong("fault.seed", System.nanoTime());
        System.out.println("ClusterFaultRandomIT seed " + seed + " (replay: -Dfault.seed=" + seed + ")");
        Random random = new Random(seed);
        List<String> users = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            users.add(Tokens.unique("r" + i));
        }
        List<String> lobbies = new ArrayList<>();
        for (int i = 0; i < LOBBIES; i++) {
            lobbies.add(Tokens.unique("rl" + i));
        }
        int victim = random.nextInt(cluster.size());
        boolean frozen = false;
        boolean redisDown = false;
        boolean outage = false;
        int welcomed = 0;
        int refused = 0;
        int mostSeen = 0;
        long startedAt = System.nanoTime();
        try {
            for (int step = 0; step < ACTIONS; step++) {
                if (step == KILL_AT) {
                    trace.add(step + ": kill -9 " + cluster.hostname(victim));
                    cluster.kill(victim);
                } else if (step == RESTART_AT) {
                    trace.add(step + ": restart " + cluster.hostname(victim));
                    cluster.restart(victim);
                } else if (step == FREEZE_AT) {
                    trace.add(step + ": freeze Redis");
                    cluster.redis().freeze();
                    frozen = true;
                    outage = true;
                } else if (step == THAW_AT) {
                    trace.add(step + ": thaw Redis");
                    cluster.redis().thaw();
                    frozen = false;
                } else if (step == REDIS_KILL_AT) {
                    trace.add(step + ": kill -9 Redis");
                    cluster.killRedis();
                    redisDown = true;
                    outage = true;
                } else if (step == REDIS_START_AT) {
                    trace.add(step + ": start an empty Redis");
                    cluster.startRedis();
                    redisDown = false;
                }
                killConnections(step, NORMAL_KILLS_FROM, "normal");
                killConnections(step, PUBSUB_KILLS_FROM, "pubsub");
                double roll = random.nextDouble();
                List<Client> open = clients.stream().filter(c -> !c.socket.isClosed()).toList();
                if (roll < 0.55 || open.isEmpty()) {
                    String user = users.get(random.nextInt(USERS));
                    String lobby = lobbies.get(random.nextInt(LOBBIES));
                    int index = random.nextInt(cluster.size());
                    if (join(step, user, lobby, index)) {
                        welcomed++;
                    } else {
                        refused++;
                    }
                } else if (roll < 0.72) {
                    Client leaving = open.get(random.nextInt(open.size()));
                    trace.add(step + ": leave " + leaving);
                    leaving.socket.close();
                    leaving.socket.awaitClose();
                } else if (roll < 0.85) {
                    // Lobby state traffic (SPEC §12): the owner's settings, anyone's own properties.
                    Client sender = open.get(random.nextInt(open.size()));
                    sender.catchUp();
                    JsonObject mark = new JsonObject().put("step", step);
                    if (sender.user.equals(sender.owner)) {
                        trace.add(step + ": lobby_update by " + sender);
                        sender.socket.send(new JsonObject().put("type", "lobby_update").put("properties", mark));
                    } else {
                        trace.add(step + ": member_update by " + sender);
                        sender.socket.send(new JsonObject().put("type", "member_update").put("properties", mark));
                    }
                } else {
                    Client moving = open.get(random.nextInt(open.size()));
                    int index = random.nextInt(cluster.size());
                    trace.add(step + ": reconnect " + moving + " on " + cluster.hostname(index));
                    if (join(step, moving.user, moving.lobby, index)) {
                        welcomed++;
                    } else {
                        refused++;
                    }
                }
                // Outside the outage, no lobby is ever over its limit.
                if (outage && !frozen && !redisDown && everyNodeReady()) {
                    outage = false;
                    trace.add(step + ": every node ready again");
                }
                if (!outage) {
                    int alive = step >= KILL_AT && step < RESTART_AT ? (victim + 1) % cluster.size() : 0;
                    int most = mostMembers(alive);
                    mostSeen = Math.max(mostSeen, most);
                    int seenAt = step;
                    assertTrue(most <= MAX_PER_LOBBY, () -> "a lobby with " + most + " members after step " + seenAt
                            + "\n" + tail());
                }
            }
        } finally {
            if (frozen) {
                cluster.redis().thaw();
            }
            if (redisDown) {
                cluster.startRedis();
            }
        }
        trace.stream().filter(line -> !line.contains(": join ") && !line.contains(": leave ")
                && !line.contains(": reconnect ")).forEach(line -> System.out.println("ClusterFaultRandomIT step " + line));
        System.out.println("ClusterFaultRandomIT: " + ACTIONS + " actions in " + (System.nanoTime() - startedAt) / 1_000_000
                + " ms, " + welcomed + " welcomed, " + refused + " refused, at most " + mostSeen + " in a lobby");

        try {
            cluster.awaitAllReady();
            long settling = System.nanoTime();
            Awaitility.await("presence converged").atMost(SETTLED_WITHIN).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        Map<String, Map<String, String>> expected = openConnectionsByLobby();
                        for (String lobby : lobbies) {
                            Map<String, String> want = expected.getOrDefault(lobby, Map.of());
                            assertTrue(want.size() <= MAX_PER_LOBBY, () -> lobby + " has open connections " + want);
                            for (int i = 0; i < cluster.size(); i++) {
                                assertEquals(new TreeMap<>(want), new TreeMap<>(lobbyMembers(admin(), node(i), lobby)),
                                        lobby + " per the admin API of " + cluster.hostname(i) + " vs open connections");
                            }
                        }
                        Map<String, JsonObject> states = new HashMap<>();
                        for (Client client : clients) {
                            if (!client.socket.isClosed()) {
                                client.catchUp();
                                assertEquals(new TreeMap<>(expected.get(client.lobby)).keySet(),
                                        new java.util.TreeSet<>(client.believed), client + " believes");
                                JsonObject state = states.computeIfAbsent(client.lobby, ClusterFaultRandomIT::lobbyState);
                                assertEquals(state, client.believedState(), client + "'s view of the lobby state");
                            }
                        }
                    });
            System.out.println("ClusterFaultRandomIT: converged " + (System.nanoTime() - settling) / 1_000_000
                    + " ms after every node was ready");
            assertEquals(List.of(), ORDER_VIOLATIONS, "every member heard each lobby's log in one order");
            System.out.println("ClusterFaultRandomIT: " + HEARD.values().stream().mapToInt(Map::size).sum()
                    + " numbered frames heard by the clients open at the end, in one order");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nseed " + seed + "\n" + tail(), e);
        } finally {
            clients.forEach(c -> c.socket.close());
        }
    }

    /** A lobby's state per the admin API, as {@link Client#believedState} puts it. */
    private static JsonObject lobbyState(String lobby) {
        JsonObject detail = admin().get(node(0), "/api/v1/lobbies/" + lobby).ok();
        JsonObject members = new JsonObject();
        for (Object member : detail.getJsonArray("members")) {
            JsonObject line = (JsonObject) member;
            members.put(line.getString("user_id"), line.getJsonObject("properties"));
        }
        return new JsonObject().put("owner", detail.getString("owner")).put("version", detail.getLong("version"))
                .put("properties", detail.getJsonObject("properties")).put("members", members);
    }

    /** Opens a connection; true when welcomed. A refusal must be one a client can meet under these faults. */
    /**
     * {@code CLIENT KILL TYPE <type>} every third step of a window: the nodes' command connections
     * ({@code normal}) or their subscriptions ({@code pubsub}) die while clients come and go. No
     * outage for the limits: admission stays atomic through it.
     */
    private void killConnections(int step, int from, String type) {
        if (step >= from && step < from + KILL_WINDOW && (step - from) % 3 == 0) {
            long killed = cluster.redis().killClients(type);
            trace.add(step + ": CLIENT KILL TYPE " + type + " (" + killed + " connections)");
        }
    }

    private boolean join(int step, String user, String lobby, int index) {
        String what = step + ": join " + user + "@" + lobby + "@" + cluster.hostname(index);
        TestSocket socket;
        try {
            socket = TestSocket.join(node(index), lobby, Tokens.valid(user));
        } catch (AssertionError handshakeFailed) {
            trace.add(what + " -> no handshake");
            return false;
        }
        JsonObject first = socket.nextOrClose();
        if (first == null) {
            TestSocket.Close close = socket.awaitClose();
            trace.add(what + " -> " + close.code() + " " + close.reason());
            assertTrue(Set.of(4002, 1013, 1012, -1, 1006).contains(close.code()), () -> what + " closed " + close);
            return false;
        }
        assertEquals("welcome", first.getString("type"), first::encode);
        String nodeId = cluster.nodeId(index);
        clients.add(new Client(user, lobby, index, nodeId, socket, first));
        trace.add(what + " -> welcome " + first.getJsonArray("members").encode());
        return true;
    }

    /** Open connections, lobby to user to node id; a user with two open connections fails. */
    private Map<String, Map<String, String>> openConnectionsByLobby() {
        Map<String, Map<String, String>> byLobby = new HashMap<>();
        Map<String, Client> byUser = new HashMap<>();
        for (Client client : clients) {
            if (client.socket.isClosed()) {
                continue;
            }
            Client other = byUser.put(client.user, client);
            assertTrue(other == null, () -> client.user + " has two open connections: " + other + " and " + client);
            byLobby.computeIfAbsent(client.lobby, l -> new HashMap<>()).put(client.user, client.nodeId);
        }
        return byLobby;
    }

    private int mostMembers(int asked) {
        JsonArray lobbies = admin().get(node(asked), "/api/v1/lobbies").ok().getJsonArray("lobbies");
        int most = 0;
        for (int i = 0; i < lobbies.size(); i++) {
            most = Math.max(most, lobbies.getJsonObject(i).getInteger("member_count"));
        }
        return most;
    }

    private boolean everyNodeReady() {
        for (int i = 0; i < cluster.size(); i++) {
            if (cluster.readyStatus(i) != 200) {
                return false;
            }
        }
        return true;
    }

    private String tail() {
        return trace.subList(Math.max(0, trace.size() - 60), trace.size()).stream().collect(Collectors.joining("\n"));
    }
}
