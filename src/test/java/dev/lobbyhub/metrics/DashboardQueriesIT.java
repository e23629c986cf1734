package dev.lobbyhub.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.AdminHttp;
import dev.lobbyhub.testing.ClusterNodes;
import dev.lobbyhub.testing.PrometheusServer;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The Grafana dashboard (docs/grafana/lobbyhub.json) and the alert rules (docs/prometheus/lobbyhub-rules.yaml) against
 * what lobbyhub really exports: a real Prometheus scrapes two packaged nodes in cluster mode every second, the test
 * provokes what the panels show (a lobby_full refusal, a kick through the admin API, a rate-limited sender, dropped
 * messages, relay over Redis, a node stopped), and every panel's query, with the dashboard's variables filled in,
 * must be valid PromQL that returns series. Prometheus also loads the rules: each evaluates without error, and the
 * stopped node shows as LobbyhubTargetDown and LobbyhubClusterNodeLost (pending or firing).
 *
 * <p>Needs Debian's {@code prometheus}; without it the test is skipped with that reason, or fails with
 * {@code -Dprometheus.tests.required=true} (CI).
 */
class DashboardQueriesIT {

    private static final Path DASHBOARD = Path.of("docs", "grafana", "lobbyhub.json");
    private static final Path RULES = Path.of("docs", "prometheus", "lobbyhub-rules.yaml");
    /** What Grafana's {@code $__rate_interval} would be with a 1 s scrape: wide enough for a few samples. */
    private static final String RATE_INTERVAL = "20s";
    /** A few scrapes and rule evaluations, on a busy 2-core machine. */
    private static final Duration SCRAPES = Duration.ofSeconds(60);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\$(\\w+)|\\[\\[(\\w+)]]");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)");

    private static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(SCRAPES).pollInterval(Duration.ofMillis(500));
    }

    @Test
    void everyPanelQueryReturnsSeriesAndEveryAlertRuleEvaluates() throws Exception {
        PrometheusServer.requireInstalled();
        JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
        Map<String, String> variables = variables(dashboard);
        Map<String, String> queries = panelQueries(dashboard, variables);
        assertFalse(queries.isEmpty(), "the dashboard has no queries");

        ClusterNodes.Builder builder = ClusterNodes.builder().nodes(2).keyPrefix("dashboardit").faultTimeouts()
                .env("LOBBYHUB_HEALTH_PING_INTERVAL", "1s").env("LOBBYHUB_HEALTH_STALE_AFTER", "10s")
                .env("LOBBYHUB_LIMITS_MAX_PER_LOBBY", "2")
                .env("LOBBYHUB_LIMITS_MESSAGES_PER_SECOND", "5").env("LOBBYHUB_LIMITS_BURST", "5");
        ClusterNodes cluster = builder.start();
        try (cluster; PrometheusServer prometheus = PrometheusServer.start(List.of(cluster.base(0), cluster.base(1)),
                List.of(RULES))) {
            try {
                check(cluster, prometheus, queries, variables, dashboard);
            } catch (AssertionError | RuntimeException e) {
                System.err.println("Prometheus log follows\n" + prometheus.output() + "\ncluster node output follows\n"
                        + cluster.outputs());
                throw e;
            }
        }
    }

    private static void check(ClusterNodes cluster, PrometheusServer prometheus, Map<String, String> queries,
            Map<String, String> variables, JsonObject dashboard) {
        String[] instances = { instance(cluster.base(0)), instance(cluster.base(1)) };
        await("both nodes scraped").until(() -> prometheus.query("up{job=\"lobbyhub\"} == 1").result().size() == 2);

        // The node variable lists both nodes.
        for (String query : variableQueries(dashboard)) {
            await("the node variable lists both nodes: " + query).until(() -> instancesOf(prometheus, query).size() == 2);
        }

        // One idle member per node for the whole test: the nodes ping it every second (round trips, sweeps).
        try (TestSocket idleA = TestSocket.joinWelcomed(cluster.base(0), Tokens.unique("idle"),
                Tokens.valid(Tokens.unique("ida")));
                TestSocket idleB = TestSocket.joinWelcomed(cluster.base(1), Tokens.unique("idle"),
                        Tokens.valid(Tokens.unique("idb")))) {
            provokeAndQuery(cluster, prometheus, queries, instances);
        }
        assertEquals(".*", variables.get("instance"), "the node variable's All value");
    }

    private static void provokeAndQuery(ClusterNodes cluster, PrometheusServer prometheus, Map<String, String> queries,
            String[] instances) {
        String lobby = Tokens.unique("dash");
        String ann = Tokens.unique("ann");
        String bob = Tokens.unique("bob");
        try (TestSocket a = TestSocket.joinWelcomed(cluster.base(0), lobby, Tokens.valid(ann));
                TestSocket b = TestSocket.joinWelcomed(cluster.base(1), lobby, Tokens.valid(bob))) {
            // The lobby holds 2: a third member is refused 4002 lobby_full.
            try (TestSocket third = TestSocket.join(cluster.base(0), lobby, Tokens.valid(Tokens.unique("carl")))) {
                third.expectRejected(4002, "lobby_full");
            }
            // Relay from node-a to node-b over Redis: messages in, delivered, published and received.
            a.send(new JsonObject().put("type", "lobby_message").put("data", "hello"));
            b.expectSkipping("lobby_message", frame -> !"lobby_message".equals(frame.getString("type")));
            // A direct message to nobody in the lobby is dropped: user_not_found.
            a.send(new JsonObject().put("type", "direct_message").put("to", Tokens.unique("nobody")).put("data", 1));
            a.expectSkipping("error", frame -> !"error".equals(frame.getString("type")));
            // A kick through the admin API.
            AdminHttp.Answer kick = cluster.admin().delete(cluster.base(0), "/api/v1/users/" + AdminHttp.segment(bob)
                    + "/connection");
            assertEquals(204, kick.status(), kick::body);
            assertEquals(new TestSocket.Close(4006, "kicked"), b.awaitClose());
        }
        // A sender over its rate (5 a second, burst 5): drops, then 4008 rate_limited.
        try (TestSocket flooder = TestSocket.joinWelcomed(cluster.base(1), Tokens.unique("flood"),
                Tokens.valid(Tokens.unique("dave")))) {
            for (int i = 0; i < 40 && !flooder.isClosed(); i++) {
                flooder.send(new JsonObject().put("type", "lobby_message").put("data", i));
            }
            assertEquals(new TestSocket.Close(4008, "rate_limited"), flooder.awaitClose());
        }

        // Prometheus has seen each event.
        for (String event : List.of(
                "lobbyhub_connections_rejected_total{reason=\"lobby_full\"}",
                "lobbyhub_connections_closed_total{reason=\"kicked\"}",
                "lobbyhub_connections_closed_total{reason=\"rate_limited\"}",
                "lobbyhub_messages_dropped_total{reason=\"rate_limited\"}",
                "lobbyhub_messages_dropped_total{reason=\"user_not_found\"}",
                "lobbyhub_messages_delivered_total",
                "lobbyhub_backplane_messages_total{direction=\"published\"}",
                "lobbyhub_backplane_messages_total{direction=\"received\"}",
                "lobbyhub_ping_rtt_seconds_count",
                "lobbyhub_sweep_duration_seconds_count",
                "lobbyhub_backplane_latency_seconds_count")) {
            String query = "sum(increase(" + event + "[5m])) > 0";
            await("Prometheus sees " + event).until(() -> !prometheus.query(query).result().isEmpty());
        }

        // Every panel's query, both nodes up.
        assertEveryQueryReturnsSeries(prometheus, queries, "both nodes up");
        // Every rule evaluated without error.
        await("every alert rule evaluated, health ok").until(() -> unhealthyRules(prometheus).isEmpty());

        // A node stopped: node-b is killed; node-a sees the cluster shrink.
        try {
            cluster.kill(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        await("node-b not scraped").until(() -> !prometheus.query("up{instance=\"" + instances[1] + "\"} == 0")
                .result().isEmpty());
        await("node-a sees one live node").until(() -> !prometheus.query("lobbyhub_cluster_nodes{instance=\""
                + instances[0] + "\"} == 1").result().isEmpty());
        await("the lost node raises LobbyhubTargetDown and LobbyhubClusterNodeLost").until(() -> {
            Set<String> raised = new TreeSet<>();
            JsonArray alerts = prometheus.alerts();
            for (int i = 0; i < alerts.size(); i++) {
                JsonObject labels = alerts.getJsonObject(i).getJsonObject("labels");
                raised.add(labels.getString("alertname") + "@" + labels.getString("instance"));
            }
            return raised.contains("LobbyhubTargetDown@" + instances[1])
                    && raised.contains("LobbyhubClusterNodeLost@" + instances[0]);
        });
        assertEveryQueryReturnsSeries(prometheus, queries, "node-b stopped");
        assertTrue(unhealthyRules(prometheus).isEmpty(), () -> "rules with errors: " + unhealthyRules(prometheus));
    }

    private static void assertEveryQueryReturnsSeries(PrometheusServer prometheus, Map<String, String> queries,
            String when) {
        for (Map.Entry<String, String> entry : queries.entrySet()) {
            String query = entry.getValue();
            PrometheusServer.Answer first = prometheus.query(query);
            assertTrue(first.ok(), () -> entry.getKey() + " (" + when + "): Prometheus refused " + query + ": "
                    + first.body().encode());
            await(entry.getKey() + " returns series (" + when + "): " + query)
                    .until(() -> !prometheus.query(query).result().isEmpty());
        }
    }

    /** Each rule of every group whose {@code health} is not {@code ok}, with its error. */
    private static List<String> unhealthyRules(PrometheusServer prometheus) {
        List<String> unhealthy = new ArrayList<>();
        int rules = 0;
        JsonArray groups = prometheus.ruleGroups();
        for (int g = 0; g < groups.size(); g++) {
            JsonArray list = groups.getJsonObject(g).getJsonArray("rules");
            for (int r = 0; r < list.size(); r++) {
                JsonObject rule = list.getJsonObject(r);
                rules++;
                if (!"ok".equals(rule.getString("health"))) {
                    unhealthy.add(rule.getString("name") + ": " + rule.getString("health") + " " + rule.getString("lastError", ""));
                }
            }
        }
        if (rules == 0) {
            unhealthy.add("no rules loaded");
        }
        return unhealthy;
    }

    private static String instance(URI base) {
        return base.getHost() + ":" + base.getPort();
    }

    /**
     * The values the variables take in the test: a query variable with All its {@code allValue} (every node), and
     * Grafana's own interval variables what they would be with a 1 s scrape.
     */
    private static Map<String, String> variables(JsonObject dashboard) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("__rate_interval", RATE_INTERVAL);
        values.put("__interval", "5s");
        values.put("__range", "5m");
        JsonArray list = dashboard.getJsonObject("templating").getJsonArray("list");
        for (int i = 0; i < list.size(); i++) {
            JsonObject variable = list.getJsonObject(i);
            assertTrue(variable.getBoolean("includeAll", false) && variable.getString("allValue") != null,
                    () -> "variable " + variable.getString("name") + " needs includeAll and an allValue");
            values.put(variable.getString("name"), variable.getString("allValue"));
        }
        return values;
    }

    /** The {@code label_values(metric, label)} queries of the variables, as PromQL: the metric. */
    private static List<String> variableQueries(JsonObject dashboard) {
        List<String> queries = new ArrayList<>();
        JsonArray list = dashboard.getJsonObject("templating").getJsonArray("list");
        for (int i = 0; i < list.size(); i++) {
            Object query = list.getJsonObject(i).getValue("query");
            String text = query instanceof JsonObject object ? object.getString("query") : String.valueOf(query);
            Matcher matcher = LABEL_VALUES.matcher(text.strip());
            assertTrue(matcher.matches(), () -> "not label_values(metric, label): " + text);
            queries.add("count by (" + matcher.group(2) + ") (" + matcher.group(1) + ")");
        }
        return queries;
    }

    private static Set<String> instancesOf(PrometheusServer prometheus, String query) {
        Set<String> instances = new TreeSet<>();
        JsonArray result = prometheus.query(query).result();
        for (int i = 0; i < result.size(); i++) {
            instances.add(result.getJsonObject(i).getJsonObject("metric").getString("instance"));
        }
        return instances;
    }

    /** Every target's {@code expr} of every panel (also inside rows), keyed by panel title and refId, variables filled in. */
    private static Map<String, String> panelQueries(JsonObject dashboard, Map<String, String> variables) {
        Map<String, String> queries = new LinkedHashMap<>();
        collect(dashboard.getJsonArray("panels"), variables, queries);
        return queries;
    }

    private static void collect(JsonArray panels, Map<String, String> variables, Map<String, String> queries) {
        for (int i = 0; i < panels.size(); i++) {
            JsonObject panel = panels.getJsonObject(i);
            collect(panel.getJsonArray("panels", new JsonArray()), variables, queries);
            JsonArray targets = panel.getJsonArray("targets", new JsonArray());
            for (int t = 0; t < targets.size(); t++) {
                JsonObject target = targets.getJsonObject(t);
                String key = "panel \"" + panel.getString("title") + "\" " + target.getString("refId");
                String expr = target.getString("expr");
                assertTrue(expr != null && !expr.isBlank(), () -> key + " has no expr");
                queries.put(key, substitute(key, expr, variables));
            }
        }
    }

    private static String substitute(String key, String expr, Map<String, String> variables) {
        Matcher matcher = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String name = matcher.group(1) != null ? matcher.group(1)
                    : matcher.group(2) != null ? matcher.group(2) : matcher.group(3);
            String value = variables.get(name);
            if (value == null) {
                throw new AssertionError(key + " uses an unknown variable $" + name + ": " + expr);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
