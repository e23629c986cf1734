package dev.lobbyhub.deployment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lobbyhub.admin.AdminResource;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.testing.Prerequisites;

/**
 * What the native image will hold, read from the output of Quarkus's native build step
 * ({@code -Dquarkus.native.enabled=true -Dquarkus.native.sources-only=true}, which needs no GraalVM):
 * the files lobbyhub reads from the class path, the answer records Jackson serializes by reflection,
 * and the private fields {@code RawSockets} reads. Without that output the test is skipped, unless
 * {@code -Dnative.sources.required=true} (CI runs it right after that build step).
 */
class NativeSourcesIT {

    private static final Path NATIVE_SOURCES = Path.of("target", "native-sources");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode resources;
    private static JsonNode reflection;

    /** Reads the runner jar once; each test is skipped (listed at the end of the run) while there is none. */
    @BeforeEach
    void read() throws IOException {
        if (reflection != null) {
            return;
        }
        Path runner = runnerJar();
        try (JarFile jar = new JarFile(runner.toFile())) {
            resources = json(jar, "META-INF/native-image/resource-config.json");
            reflection = json(jar, "META-INF/native-image/reflect-config.json");
        }
    }

    /** The demo page, the client library and the Lua scripts are read from the class path at run time. */
    @Test
    void everyResourceLobbyhubReadsIsInTheImage() throws IOException {
        List<Pattern> includes = new ArrayList<>();
        resources.at("/resources/includes").forEach(include -> includes.add(Pattern.compile(include.path("pattern").asText())));
        Path root = Path.of("src", "main", "resources");
        List<Path> read = new ArrayList<>();
        for (String dir : List.of("demo", "client", "cluster")) {
            try (Stream<Path> files = Files.walk(root.resolve(dir))) {
                files.filter(Files::isRegularFile).forEach(read::add);
            }
        }
        assertFalse(read.isEmpty());
        for (Path file : read) {
            String name = root.relativize(file).toString().replace('\\', '/');
            assertTrue(includes.stream().anyMatch(p -> p.matcher(name).matches()), name + " is not in the native image");
        }
    }

    /** Jackson reads the records' accessors by reflection; the REST layer cannot see types inside a Response. */
    @Test
    void everyAdminAnswerIsRegisteredForReflection() {
        List<Class<?>> answers = new ArrayList<>(List.of(ApiError.class));
        for (Class<?> nested : AdminResource.class.getDeclaredClasses()) {
            if (nested.isRecord()) {
                answers.add(nested);
            }
        }
        assertTrue(answers.size() > 5, answers.toString());
        for (Class<?> answer : answers) {
            JsonNode entry = registered(answer.getName());
            assertTrue(entry.path("allDeclaredMethods").asBoolean() && entry.path("allDeclaredFields").asBoolean()
                    && entry.path("allDeclaredConstructors").asBoolean(), entry.toString());
        }
    }

    /** RawSockets reads the connection's socket and the wrapped socket from private fields; the image must keep them reachable. */
    @Test
    void theFieldsRawSocketsReadsAreRegistered() {
        for (String owner : List.of("io.quarkus.websockets.next.runtime.WebSocketConnectionImpl",
                "io.vertx.ext.web.impl.ServerWebSocketWrapper")) {
            JsonNode entry = registered(owner);
            assertTrue(entry.path("allDeclaredFields").asBoolean(), entry.toString());
        }
    }

    private static JsonNode registered(String className) {
        for (JsonNode entry : reflection) {
            if (className.equals(entry.path("name").asText())) {
                return entry;
            }
        }
        return fail(className + " is not registered for reflection");
    }

    private static Path runnerJar() throws IOException {
        Prerequisites.require(Files.isDirectory(NATIVE_SOURCES), "native.sources.required", "native",
                "no native build step output (" + NATIVE_SOURCES + ")", "run first: ./mvnw package -DskipTests "
                        + "-Dquarkus.native.enabled=true -Dquarkus.native.sources-only=true (as .ci/run does)");
        try (Stream<Path> files = Files.list(NATIVE_SOURCES)) {
            return files.filter(file -> file.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no runner jar in " + NATIVE_SOURCES));
        }
    }

    private static JsonNode json(JarFile jar, String entry) throws IOException {
        var found = jar.getEntry(entry);
        assertTrue(found != null, entry + " missing from the runner jar");
        try (InputStream in = jar.getInputStream(found)) {
            return JSON.readTree(in);
        }
    }
}
