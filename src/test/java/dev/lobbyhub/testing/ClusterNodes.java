package dev.lobbyhub.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A cluster as an operator runs it (SPEC §9): one real {@code redis-server} on a free port and N
 * packaged nodes ({@link PackagedApp}, prod profile) sharing it, named {@code node-a},
 * {@code node-b}, … through {@code HOSTNAME}. {@link Builder#start()} returns once every node answers
 * 200 on {@code /q/health/ready}. {@link #close()} kills every node by its PID and stops Redis, also
 * when a start failed half-way; a failed start prints the nodes' output.
 *
 * <p>Each node's {@code node_id} is its {@code HOSTNAME} plus a suffix new at every start, so a test
 * compares ids with {@code startsWith(hostname(i))}, or asks the node itself ({@link #nodeId(int)}).
 *
 * <p>A node built {@link Builder#proxied(int) proxied} reaches Redis only through its own
 * {@link RedisProxy} ({@link #proxy(int)}), so a test can cut that node's Redis connections alone
 * (black-hole them, drop them) while Redis and the other nodes go on.
 */
public final class ClusterNodes implements AutoCloseable {

    /** The admin API key of every node. */
    public static final String API_KEY = "cluster-it-admin-key-0123456789";
    /** A packaged JVM's startup on a busy 2-core machine, three at once. */
    public static final Duration STARTUP = Duration.ofSeconds(60);

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int OUTPUT_TAIL_CHARS = 40_000;

    private final List<PackagedApp> nodes = new ArrayList<>();
    private final List<String> hostnames = new ArrayList<>();
    private final List<Map<String, String>> environments = new ArrayList<>();
    /** Earlier processes of restarted nodes, each with its hostname, for their output and their cleanup. */
    private final List<Map.Entry<String, PackagedApp>> retired = new ArrayList<>();
    private final Map<Integer, String> nodeIds = new ConcurrentHashMap<>();
    private final Map<Integer, RedisProxy> proxies = new HashMap<>();
    private final AdminHttp admin = new AdminHttp(API_KEY);
    private RedisServer redis;

    private ClusterNodes() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How the cluster is configured before it starts. */
    public static final class Builder {
        private int size = 3;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final Map<Integer, Map<String, String>> nodeEnvironment = new HashMap<>();
        private final Set<Integer> proxied = new TreeSet<>();

        private Builder() {
        }

        /** Number of nodes (default 3). */
        public Builder nodes(int size) {
            if (size < 1 || size > 26) {
                throw new IllegalArgumentException("1 to 26 nodes: " + size);
            }
            this.size = size;
            return this;
        }

        /** {@code cluster.key-prefix} of every node. */
        public Builder keyPrefix(String prefix) {
            return env("LOBBYHUB_CLUSTER_KEY_PREFIX", prefix);
        }

        /** The short timeouts of the fault tests: a node is gone after 3 s, Redis after 1 s of silence. */
        public Builder faultTimeouts() {
            return env("LOBBYHUB_CLUSTER_NODE_TIMEOUT", "3s").env("LOBBYHUB_CLUSTER_REDIS_TIMEOUT", "1s");
        }

        /** An environment variable of every node (overrides the defaults of this fixture). */
        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** An environment variable of node {@code index} only (0 is {@code node-a}). */
        public Builder nodeEnv(int index, String name, String value) {
            nodeEnvironment.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(name, value);
            return this;
        }

        /**
         * Node {@code index} reaches Redis through its own {@link RedisProxy} ({@link ClusterNodes#proxy(int)}):
         * its {@code QUARKUS_REDIS_HOSTS} names the proxy, which forwards to the cluster's Redis port (also to
         * a Redis started again there).
         */
        public Builder proxied(int index) {
            if (index < 0) {
                throw new IllegalArgumentException("no node " + index);
            }
            proxied.add(index);
            return this;
        }

        /** Starts Redis and the nodes and waits until every node is ready; on failure, stops all it started. */
        public ClusterNodes start() throws IOException {
            ClusterNodes cluster = new ClusterNodes();
            try {
                cluster.redis = RedisServer.start();
                for (int index : proxied) {
                    if (index >= size) {
                        throw new IllegalArgumentException("proxied(" + index + ") of " + size + " nodes");
                    }
                    cluster.proxies.put(index, RedisProxy.start(cluster.redis.port()));
                }
                for (int i = 0; i < size; i++) {
                    String hostname = "node-" + (char) ('a' + i);
                    Map<String, String> env = new LinkedHashMap<>();
                    env.put("LOBBYHUB_CLUSTER_ENABLED", "true");
                    env.put("QUARKUS_REDIS_HOSTS", cluster.proxies.containsKey(i) ? cluster.proxies.get(i).uri()
                            : cluster.redis.uri());
                    env.put("LOBBYHUB_AUTH_JWT_SECRET", Tokens.TEST_SECRET);
                    env.put("LOBBYHUB_API_KEY", API_KEY);
                    env.put("HOSTNAME", hostname);
                    // Seats are freed, not held, unless a test asks (SPEC §9's rules are about freed seats).
                    env.put("LOBBYHUB_USERS_RECONNECT_GRACE", "0s");
                    env.putAll(environment);
                    env.putAll(nodeEnvironment.getOrDefault(i, Map.of()));
                    cluster.hostnames.add(hostname);
                    cluster.environments.add(env);
                    cluster.nodes.add(PackagedApp.start(env));
                }
                cluster.awaitReady();
                return cluster;
            } catch (IOException | RuntimeException | Error e) {
                String outputs = cluster.outputs();
                if (!outputs.isEmpty()) {
                    System.err.println("cluster start failed; node output follows\n" + outputs);
                }
                cluster.close();
                if (e instanceof ConditionTimeoutException || e instanceof NodeExited) {
                    throw new AssertionError(e.getMessage() + "\n" + outputs, e);
                }
                throw e;
            }
        }
    }

    private static final class NodeExited extends IllegalStateException {
        NodeExited(String message) {
            super(message);
        }
    }

    private void awaitReady() {
        Awaitility.await("every node ready").atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> {
            boolean all = true;
            for (int i = 0; i < nodes.size(); i++) {
                if (!nodes.get(i).isAlive()) {
                    throw new NodeExited(hostnames.get(i) + " exited during startup" + exitCode(i));
                }
                all &= readyStatus(i) == 200;
            }
            return all;
        });
    }

    /** ", exit code N" of a node that has exited (137: killed by SIGKILL, e.g. the kernel's OOM killer). */
    private String exitCode(int index) {
        try {
            return ", exit code " + nodes.get(index).awaitExit(Duration.ZERO);
        } catch (AssertionError | InterruptedException unknown) {
            return "";
        }
    }

    /** Waits until node {@code index} answers 200 on {@code /q/health/ready}; fails if it exits meanwhile. */
    public void awaitReady(int index) {
        Awaitility.await(hostname(index) + " ready").atMost(STARTUP).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!nodes.get(index).isAlive()) {
                throw new NodeExited(hostnames.get(index) + " exited" + exitCode(index));
            }
            return readyStatus(index) == 200;
        });
    }

    /** Waits until every node is ready. */
    public void awaitAllReady() {
        for (int i = 0; i < nodes.size(); i++) {
            awaitReady(i);
        }
    }

    // ---- faults ----

    /** {@code kill -9} node {@code index} (also when it is stopped) and waits until it is gone. */
    public void kill(int index) throws InterruptedException {
        PackagedApp node = nodes.get(index);
        node.close();
        node.awaitExit(Duration.ofSeconds(20));
    }

    /** SIGSTOP to node {@code index}: it keeps its sockets and does nothing, as in a long GC pause. */
    public void pause(int index) {
        Signals.send(nodes.get(index).pid(), "STOP");
    }

    /** SIGCONT to node {@code index}. */
    public void resume(int index) {
        Signals.send(nodes.get(index).pid(), "CONT");
    }

    /** SIGTERM to node {@code index}, as Kubernetes sends it; does not wait. */
    public void terminate(int index) {
        nodes.get(index).terminate();
    }

    /**
     * Starts node {@code index} again (a new JVM, same environment and port, so a new {@code node_id}) and
     * waits until it is ready; kills the old process first if it still runs.
     */
    public void restart(int index) throws IOException, InterruptedException {
        PackagedApp old = nodes.get(index);
        if (old.isAlive()) {
            kill(index);
        }
        retired.add(Map.entry(hostnames.get(index), old));
        nodeIds.remove(index);
        nodes.set(index, PackagedApp.start(environments.get(index), old.port()));
        awaitReady(index);
    }

    /**
     * Kills every node and starts each again at once (new JVMs, same environments and ports, so new
     * {@code node_id}s), then waits until all are ready: quicker than {@link #restart(int)} one by one.
     */
    public void restartAll() throws IOException, InterruptedException {
        for (int i = 0; i < nodes.size(); i++) {
            PackagedApp old = nodes.get(i);
            if (old.isAlive()) {
                kill(i);
            }
            retired.add(Map.entry(hostnames.get(i), old));
            nodeIds.remove(i);
        }
        for (int i = 0; i < nodes.size(); i++) {
            nodes.set(i, PackagedApp.start(environments.get(i), nodes.get(i).port()));
        }
        awaitAllReady();
    }

    /** {@code kill -9} Redis: every key is lost. The nodes keep running. */
    public void killRedis() throws InterruptedException {
        redis.kill();
    }

    /** Starts an empty Redis on the port of the one killed by {@link #killRedis()}. */
    public void startRedis() throws IOException {
        redis = RedisServer.start(redis.port());
    }

    /** The status of node {@code index}'s {@code /q/health/ready}, or -1 when it did not answer. */
    public int readyStatus(int index) {
        HttpRequest request = HttpRequest.newBuilder(base(index).resolve("q/health/ready"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notYet) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Node {@code index}'s {@code /q/health/ready} answer, whatever its status: {@code status} (200 or 503) and
     * the {@code data} of its {@code connections} check ({@code connections}, {@code max_connections}, …).
     */
    public Readiness readiness(int index) {
        HttpRequest request = HttpRequest.newBuilder(base(index).resolve("q/health/ready"))
                .timeout(Duration.ofSeconds(5)).header("Accept", "application/json").GET().build();
        HttpResponse<String> response = send(request, "readiness of " + hostname(index));
        JsonObject body = new JsonObject(response.body());
        JsonArray checks = body.getJsonArray("checks", new JsonArray());
        for (int i = 0; i < checks.size(); i++) {
            JsonObject data = checks.getJsonObject(i).getJsonObject("data");
            if (data != null && data.containsKey("connections")) {
                return new Readiness(response.statusCode(), data);
            }
        }
        throw new AssertionError(hostname(index) + " readiness has no connections data: " + response.body());
    }

    /** One answer of {@code /q/health/ready}. */
    public record Readiness(int status, JsonObject data) {
        /** The {@code connections} of the data: this node's own count of open connections. */
        public int connections() {
            return data.getInteger("connections");
        }
    }

    /**
     * The value of an untagged meter of node {@code index}, as {@code /q/metrics} (Prometheus text) shows it,
     * e.g. {@code lobbyhub_connections_active}; fails when the node does not show it.
     */
    public double metric(int index, String name) {
        return metric(index, name, "");
    }

    /** The value of a meter of node {@code index} whose labels include {@code label}, e.g. {@code direction="received"}. */
    public double metric(int index, String name, String label) {
        HttpRequest request = HttpRequest.newBuilder(base(index).resolve("q/metrics"))
                .timeout(Duration.ofSeconds(5)).header("Accept", "text/plain").GET().build();
        HttpResponse<String> response = send(request, "metrics of " + hostname(index));
        if (response.statusCode() != 200) {
            throw new AssertionError(hostname(index) + " /q/metrics answered " + response.statusCode());
        }
        for (String line : response.body().split("\n")) {
            if ((line.startsWith(name + " ") || line.startsWith(name + "{")) && line.contains(label)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(hostname(index) + " shows no " + name + label);
    }

    private static HttpResponse<String> send(HttpRequest request, String what) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(what + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public int size() {
        return nodes.size();
    }

    /** {@code http://127.0.0.1:<port>/} of node {@code index}. */
    public URI base(int index) {
        return nodes.get(index).base();
    }

    /** The {@code HOSTNAME} of node {@code index}: {@code node-a}, {@code node-b}, … */
    public String hostname(int index) {
        return hostnames.get(index);
    }

    public PackagedApp node(int index) {
        return nodes.get(index);
    }

    public RedisServer redis() {
        return redis;
    }

    /** The {@link RedisProxy} in front of node {@code index}'s Redis connections; fails when it has none. */
    public RedisProxy proxy(int index) {
        RedisProxy proxy = proxies.get(index);
        if (proxy == null) {
            throw new IllegalStateException(hostname(index) + " was not built proxied(" + index + ")");
        }
        return proxy;
    }

    /** The admin API client, with this cluster's key. */
    public AdminHttp admin() {
        return admin;
    }

    /** Node {@code index}'s own {@code node_id}, as its {@code GET /api/v1/stats} answers it. */
    public String nodeId(int index) {
        return nodeIds.computeIfAbsent(index, i -> {
            String id = admin.get(base(i), "/api/v1/stats").ok().getString("node_id");
            if (id == null || !id.startsWith(hostname(i))) {
                throw new AssertionError(hostname(i) + " answers node_id " + id);
            }
            return id;
        });
    }

    /** The index of the node whose {@code node_id} this is, if any. */
    public Optional<Integer> indexOf(String nodeId) {
        for (int i = 0; i < size(); i++) {
            if (nodeId(i).equals(nodeId)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    /** The end of every node's output, each under its hostname. */
    public String outputs() {
        StringBuilder all = new StringBuilder();
        for (Map.Entry<String, PackagedApp> earlier : retired) {
            String output;
            try {
                output = earlier.getValue().output();
            } catch (RuntimeException unreadable) {
                output = "(output unreadable: " + unreadable + ")";
            }
            if (output.length() > OUTPUT_TAIL_CHARS) {
                output = "…" + output.substring(output.length() - OUTPUT_TAIL_CHARS);
            }
            all.append("===== ").append(earlier.getKey()).append(" (an earlier process, pid ")
                    .append(earlier.getValue().pid()).append(") =====\n").append(output).append('\n');
        }
        for (int i = 0; i < nodes.size(); i++) {
            String output;
            try {
                output = nodes.get(i).output();
            } catch (RuntimeException unreadable) {
                output = "(output unreadable: " + unreadable + ")";
            }
            if (output.length() > OUTPUT_TAIL_CHARS) {
                output = "…" + output.substring(output.length() - OUTPUT_TAIL_CHARS);
            }
            all.append("===== ").append(hostnames.get(i)).append(" (").append(base(i)).append(nodes.get(i).isAlive()
                    ? ", running" : ", exited").append(") =====\n").append(output).append('\n');
        }
        return all.toString();
    }

    /**
     * Kills every node (SIGKILL, by PID; a stopped one is continued first) and waits for it, then closes
     * the proxies and stops Redis. Safe to call twice.
     */
    @Override
    public void close() {
        for (PackagedApp node : nodes) {
            if (node.isAlive()) {
                try {
                    Signals.send(node.pid(), "CONT");
                } catch (RuntimeException | AssertionError ignored) {
                    // SIGKILL below ends a stopped process too
                }
            }
        }
        for (Map.Entry<String, PackagedApp> earlier : retired) {
            earlier.getValue().close();
        }
        for (PackagedApp node : nodes) {
            try {
                node.close();
            } catch (RuntimeException ignored) {
                // the others still have to go
            }
        }
        for (PackagedApp node : nodes) {
            try {
                node.awaitExit(Duration.ofSeconds(20));
            } catch (AssertionError | RuntimeException stillRunning) {
                System.err.println("a cluster node did not exit: " + stillRunning.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (RedisProxy proxy : proxies.values()) {
            proxy.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /**
     * Prints the nodes' output when a test fails, for the cluster a test class shares:
     * {@code @RegisterExtension static final ClusterNodes.OutputOnFailure LOGS = new ClusterNodes.OutputOnFailure(() -> cluster);}
     */
    public static final class OutputOnFailure implements TestWatcher {
        private final Supplier<ClusterNodes> cluster;

        public OutputOnFailure(Supplier<ClusterNodes> cluster) {
            this.cluster = cluster;
        }

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            ClusterNodes nodes = cluster.get();
            if (nodes != null) {
                System.err.println(context.getDisplayName() + " failed; cluster node output follows\n" + nodes.outputs());
            }
        }
    }
}
