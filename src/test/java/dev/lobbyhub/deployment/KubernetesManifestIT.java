package dev.lobbyhub.deployment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.testing.PackagedApp;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;

/**
 * The Kubernetes manifests and the Helm chart that {@code ./mvnw package} writes: what an operator applies.
 * Their schema validity is checked offline by {@code .ci/run}; this checks that they fit lobbyhub.
 */
class KubernetesManifestIT {

    private static final Path MANIFESTS = Path.of("target", "kubernetes", "kubernetes.json");
    private static final Path CHART = Path.of("target", "helm", "kubernetes", "lobbyhub");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** What the Secret "lobbyhub" holds in this test, as an operator would create it. */
    private static final Map<String, String> SECRET = Map.of("jwt-secret", Tokens.TEST_SECRET,
            "api-key", "manifest-test-admin-key");

    private static JsonNode deployment;
    private static JsonNode service;
    private static JsonNode disruptionBudget;
    private static Properties properties;

    @BeforeAll
    static void read() throws IOException {
        assertTrue(Files.exists(MANIFESTS), "package the application first: " + MANIFESTS.toAbsolutePath());
        JsonNode all = JSON.readTree(MANIFESTS.toFile());
        deployment = only(all, "Deployment");
        service = only(all, "Service");
        disruptionBudget = only(all, "PodDisruptionBudget");
        properties = new Properties();
        try (InputStream in = KubernetesManifestIT.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
    }

    @Test
    void probesAskSmallRyeHealthOnTheContainerPort() {
        JsonNode container = container();
        int port = Integer.parseInt(properties.getProperty("quarkus.http.port"));
        JsonNode http = named(container.path("ports"), "http");
        assertEquals(port, http.path("containerPort").asInt());
        assertEquals("/q/health/live", container.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/q/health/ready", container.at("/readinessProbe/httpGet/path").asText());
        assertEquals("/q/health/started", container.at("/startupProbe/httpGet/path").asText());
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertEquals(port, container.path(probe).at("/httpGet/port").asInt(), probe);
        }
        // A slow JVM start on a throttled core is given a minute before liveness counts.
        JsonNode startup = container.path("startupProbe");
        assertTrue(startup.path("periodSeconds").asInt() * startup.path("failureThreshold").asInt() >= 60,
                startup.toString());
    }

    @Test
    void aDrainingPodLeavesTheServiceBeforeItsConnectionsAreClosed() {
        // SIGTERM turns readiness DOWN; the drain starts drain-period before the end of the shutdown delay.
        Duration delay = DurationConverter.parseDuration(properties.getProperty("quarkus.shutdown.delay"));
        Duration drainPeriod = DurationConverter.parseDuration(defaultOf(LobbyhubConfig.Shutdown.class, "drainPeriod"));
        JsonNode readiness = container().path("readinessProbe");
        long noticedWithinSeconds = readiness.path("periodSeconds").asLong() * readiness.path("failureThreshold").asLong()
                + readiness.path("timeoutSeconds").asLong();
        assertTrue(noticedWithinSeconds < delay.minus(drainPeriod).toSeconds(),
                "readiness DOWN is noticed within " + noticedWithinSeconds + " s, the drain starts after "
                        + delay.minus(drainPeriod).toSeconds() + " s");
    }

    @Test
    void gracePeriodOutlastsTheShutdownDelayWithMargin() {
        Duration delay = DurationConverter.parseDuration(properties.getProperty("quarkus.shutdown.delay"));
        long grace = deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
        assertTrue(grace >= delay.toSeconds() + 10, "grace " + grace + " s, shutdown delay " + delay);
    }

    @Test
    void secretsComeFromTheSecretAndNeverAsValues() throws IOException {
        Map<String, JsonNode> env = environment();
        assertEquals(Map.of("name", "lobbyhub", "key", "jwt-secret"), secretRef(env.get("LOBBYHUB_AUTH_JWT_SECRET")));
        assertEquals(Map.of("name", "lobbyhub", "key", "api-key"), secretRef(env.get("LOBBYHUB_API_KEY")));
        JsonNode redis = env.get("QUARKUS_REDIS_HOSTS");
        assertEquals(Map.of("name", "lobbyhub", "key", "redis-hosts"), secretRef(redis));
        assertTrue(redis.at("/valueFrom/secretKeyRef/optional").asBoolean(), "a single node needs no Redis");
        env.forEach((name, variable) -> assertFalse(
                name.matches(".*(SECRET|KEY|PASSWORD|TOKEN|REDIS_HOSTS).*") && variable.has("value"),
                name + " has a literal value"));

        // No value of any profile's secret or key reaches anything an operator applies.
        List<String> secrets = properties.stringPropertyNames().stream()
                .filter(key -> key.endsWith("jwt.secret") || key.endsWith("api.key"))
                .map(properties::getProperty).toList();
        assertFalse(secrets.isEmpty());
        for (Path file : generatedFiles()) {
            String text = Files.readString(file);
            for (String secret : secrets) {
                assertFalse(text.contains(secret), file + " contains a secret value");
            }
        }
    }

    @Test
    void selectorsAreStableAndMatchThePods() {
        JsonNode selector = deployment.at("/spec/selector/matchLabels");
        JsonNode podLabels = deployment.at("/spec/template/metadata/labels");
        assertFalse(selector.has("app.kubernetes.io/version"), "selectors are immutable: no version in them");
        assertFalse(selector.isEmpty());
        for (JsonNode matchLabels : List.of(selector, service.path("spec").path("selector"),
                disruptionBudget.at("/spec/selector/matchLabels"))) {
            matchLabels.fields().forEachRemaining(label -> assertEquals(label.getValue(), podLabels.get(label.getKey()),
                    "selector label " + label.getKey()));
        }
        // Reproducible output: no build time or commit in the manifests.
        assertFalse(deployment.path("metadata").path("annotations").has("app.quarkus.io/build-timestamp"));
    }

    @Test
    void disruptionBudgetLetsOnePodGoAtATime() {
        assertEquals("policy/v1", disruptionBudget.path("apiVersion").asText());
        assertEquals(1, disruptionBudget.at("/spec/maxUnavailable").asInt());
        assertTrue(deployment.at("/spec/replicas").asInt() >= 2, "cluster-ready by default: two replicas");
    }

    @Test
    void resourcesHaveRequestsAndLimits() {
        JsonNode resources = container().path("resources");
        for (String kind : List.of("requests", "limits")) {
            for (String resource : List.of("cpu", "memory")) {
                assertFalse(resources.path(kind).path(resource).asText().isEmpty(), kind + "." + resource);
            }
        }
        // Memory is not overcommitted: the JVM sizes its heap from the limit, the scheduler from the request.
        assertEquals(resources.at("/requests/memory").asText(), resources.at("/limits/memory").asText());
    }

    @Test
    void serviceAndScrapeAnnotationsPointAtTheHttpPort() {
        JsonNode port = named(service.at("/spec/ports"), "http");
        assertEquals("http", port.path("name").asText(), "a ServiceMonitor selects the port by name");
        assertEquals(named(container().path("ports"), "http").path("containerPort").asInt(), port.path("targetPort").asInt());
        JsonNode annotations = deployment.at("/spec/template/metadata/annotations");
        assertEquals("true", annotations.path("prometheus.io/scrape").asText());
        assertEquals(properties.getProperty("quarkus.micrometer.export.prometheus.path"),
                annotations.path("prometheus.io/path").asText());
        assertEquals(properties.getProperty("quarkus.http.port"), annotations.path("prometheus.io/port").asText());
    }

    @Test
    void chartExposesTheValuesAnOperatorSets() throws IOException {
        JsonNode chart = YAML.readTree(CHART.resolve("Chart.yaml").toFile());
        assertEquals("lobbyhub", chart.path("name").asText());
        JsonNode values = YAML.readTree(CHART.resolve("values.yaml").toFile()).path("app");
        assertEquals(deployment.at("/spec/replicas").asInt(), values.path("replicas").asInt());
        assertEquals(container().path("image").asText(), values.path("image").asText());
        assertEquals("lobbyhub", values.path("secretName").asText());
        assertEquals("false", values.at("/envs/LOBBYHUB_CLUSTER_ENABLED").asText());
        assertTrue(values.at("/envs/LOBBYHUB_LIMITS_MAX_CONNECTIONS").isTextual());
        assertTrue(values.at("/envs/LOBBYHUB_LIMITS_MAX_PER_LOBBY").isTextual());
        assertEquals(container().path("resources"), values.path("resources"), "chart and manifests size pods alike");
        String template = Files.readString(CHART.resolve("templates").resolve("deployment.yaml"));
        assertTrue(template.contains("{{ .Values.app.envs.LOBBYHUB_CLUSTER_ENABLED | quote }}"), template);
        assertTrue(template.contains("name: {{ .Values.app.secretName }}"), template);
        assertTrue(template.contains("toYaml .Values.app.resources"), template);
    }

    /** The container as Kubernetes would run it: its environment, the Secret resolved, and its probes asked. */
    @Test
    void theContainerStartsFromItsEnvironmentAndAnswersItsProbes() throws Exception {
        Map<String, String> env = new HashMap<>();
        environment().forEach((name, variable) -> {
            if (variable.has("value")) {
                env.put(name, variable.path("value").asText());
            } else if (variable.at("/valueFrom/secretKeyRef").isObject()) {
                String value = SECRET.get(variable.at("/valueFrom/secretKeyRef/key").asText());
                assertTrue(value != null || variable.at("/valueFrom/secretKeyRef/optional").asBoolean(),
                        name + " needs a key this Secret lacks");
                if (value != null) {
                    env.put(name, value);
                }
            }
        });
        JsonNode container = container();
        HttpClient http = HttpClient.newHttpClient();
        try (PackagedApp app = PackagedApp.start(env)) {
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                URI uri = app.base().resolve(container.path(probe).at("/httpGet/path").asText().substring(1));
                Awaitility.await(probe).atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> status(http, HttpRequest.newBuilder(uri)) == 200);
            }
            // The admin key reached the process under the name lobbyhub reads.
            assertEquals(200, status(http, HttpRequest.newBuilder(app.base().resolve("api/v1/stats"))
                    .header("Authorization", "Bearer " + SECRET.get("api-key"))));
        }
    }

    private static int status(HttpClient http, HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static JsonNode container() {
        JsonNode containers = deployment.at("/spec/template/spec/containers");
        assertEquals(1, containers.size());
        return containers.get(0);
    }

    private static Map<String, JsonNode> environment() {
        Map<String, JsonNode> env = new HashMap<>();
        container().path("env").forEach(variable -> assertEquals(null, env.put(variable.path("name").asText(), variable),
                "duplicate variable " + variable.path("name")));
        return env;
    }

    private static Map<String, String> secretRef(JsonNode variable) {
        assertNotNull(variable);
        JsonNode ref = variable.at("/valueFrom/secretKeyRef");
        return Map.of("name", ref.path("name").asText(), "key", ref.path("key").asText());
    }

    private static JsonNode only(JsonNode all, String kind) {
        List<JsonNode> found = new ArrayList<>();
        all.forEach(object -> {
            if (kind.equals(object.path("kind").asText())) {
                found.add(object);
            }
        });
        assertEquals(1, found.size(), "one " + kind);
        return found.get(0);
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode item : list) {
            if (name.equals(item.path("name").asText())) {
                return item;
            }
        }
        throw new AssertionError("no entry named " + name + " in " + list);
    }

    private static List<Path> generatedFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(MANIFESTS.getParent(), CHART)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        return files;
    }

    private static String defaultOf(Class<?> group, String method) {
        try {
            return group.getMethod(method).getAnnotation(WithDefault.class).value();
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }
}
