package dev.lobbyhub.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;

/**
 * The configuration table in {@code docs/configuration.md} is written by hand from {@link LobbyhubConfig}. This
 * keeps the two equal: every {@code lobbyhub.*} key of the mapping is a row of the table with the same default
 * (its {@code @WithDefault}, or {@code none} for an optional key without one), and the table has no
 * {@code lobbyhub.*} row for a key that does not exist.
 */
class ConfigurationTableTest {

    static final Path TABLE = Path.of("docs", "configuration.md");

    /** A table row for a lobbyhub key: {@code | `lobbyhub.x.y` | default | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`(lobbyhub\\.[^`]+)`\\s*\\|([^|]*)\\|");

    /** What the table's default column says for an optional key without a default. */
    static final String NONE = "none";
    /** What it would say for a key that has no default and must be set. */
    static final String REQUIRED = "required";

    @Test
    void everyKeyOfTheMappingIsInTheTableWithItsDefault() throws IOException {
        Map<String, String> mapping = keys(LobbyhubConfig.class);
        Map<String, String> table = table(Files.readAllLines(TABLE, StandardCharsets.UTF_8));

        List<String> problems = new ArrayList<>();
        mapping.forEach((key, expected) -> {
            if (!table.containsKey(key)) {
                problems.add("missing row: | `" + key + "` | " + expected + " | ... |");
            } else if (!expected.equals(table.get(key))) {
                problems.add(key + ": the table says " + table.get(key) + ", LobbyhubConfig says " + expected);
            }
        });
        table.keySet().stream().filter(key -> !mapping.containsKey(key))
                .forEach(key -> problems.add(key + ": in the table, but LobbyhubConfig has no such key"));
        assertEquals(List.of(), problems, "docs/configuration.md and LobbyhubConfig differ");
    }

    @Test
    void theMappingIsReadAsLobbyhubReadsIt() {
        Map<String, String> keys = keys(LobbyhubConfig.class);
        assertEquals("10", keys.get("lobbyhub.limits.max-per-lobby"));
        assertEquals("10s", keys.get("lobbyhub.limits.write-timeout"));
        assertEquals("replace", keys.get("lobbyhub.users.on-duplicate"));
        assertEquals(NONE, keys.get("lobbyhub.auth.jwt.public-key"));
        assertEquals(NONE, keys.get("lobbyhub.allowed-origins"));
        assertTrue(keys.keySet().stream().allMatch(key -> key.matches("lobbyhub(\\.[a-z0-9]+(-[a-z0-9]+)*)+")), keys::toString);
    }

    @Test
    void tableDefaultsAreReadWithoutTheirRemarks() {
        Map<String, String> table = table(List.of(
                "| key | default | meaning |",
                "|---|---|---|",
                "| `lobbyhub.a.b-c` | 10s | text with `code` |",
                "| `lobbyhub.d` | `replace` | x |",
                "| `lobbyhub.e` | none (any origin) | x |",
                "| `lobbyhub.f` | false (true in dev) | x |",
                "| `quarkus.redis.hosts` | none | not lobbyhub's |"));
        assertEquals(Map.of("lobbyhub.a.b-c", "10s", "lobbyhub.d", "replace", "lobbyhub.e", NONE, "lobbyhub.f", "false"),
                table);
    }

    /** Every leaf key under the mapping's prefix, in order, with its default as the table writes it. */
    static Map<String, String> keys(Class<?> mapping) {
        ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
        assertTrue(annotation != null, mapping + " is not a @ConfigMapping");
        Map<String, String> keys = new LinkedHashMap<>();
        collect(mapping, annotation.prefix(), keys);
        return keys;
    }

    private static void collect(Class<?> group, String prefix, Map<String, String> keys) {
        List<Method> methods = new ArrayList<>(List.of(group.getMethods()));
        methods.sort(Comparator.comparing(Method::getName));
        for (Method method : methods) {
            if (method.isDefault() || Modifier.isStatic(method.getModifiers()) || method.getParameterCount() > 0) {
                continue;
            }
            String key = prefix;
            if (!method.isAnnotationPresent(WithParentName.class)) {
                WithName name = method.getAnnotation(WithName.class);
                key = prefix + "." + (name != null ? name.value() : kebab(method.getName()));
            }
            Type type = method.getGenericReturnType();
            boolean optional = method.getReturnType() == Optional.class;
            if (optional) {
                type = ((ParameterizedType) type).getActualTypeArguments()[0];
            }
            Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
            if (Map.class.isAssignableFrom(raw)) {
                throw new AssertionError(key + ": a map of keys; teach " + ConfigurationTableTest.class.getSimpleName()
                        + " how the table lists them");
            }
            if (isGroup(raw)) {
                collect(raw, key, keys);
                continue;
            }
            WithDefault fallback = method.getAnnotation(WithDefault.class);
            String expected = fallback != null ? fallback.value() : optional ? NONE : REQUIRED;
            assertEquals(null, keys.put(key, expected), "two methods map to " + key);
        }
    }

    /** A nested group of keys: one of lobbyhub's own interfaces, as opposed to a value type. */
    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && type.getName().startsWith("dev.lobbyhub.");
    }

    private static String kebab(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The lobbyhub rows of a Markdown table: key to default, the default without backticks or remarks in brackets. */
    static Map<String, String> table(List<String> lines) {
        Map<String, String> rows = new TreeMap<>();
        for (String line : lines) {
            Matcher row = ROW.matcher(line);
            if (!row.find()) {
                continue;
            }
            String value = row.group(2).strip();
            int remark = value.indexOf(" (");
            if (remark >= 0) {
                value = value.substring(0, remark);
            }
            value = value.replace("`", "").strip();
            assertEquals(null, rows.put(row.group(1), value), "two rows for " + row.group(1));
        }
        return rows;
    }
}
