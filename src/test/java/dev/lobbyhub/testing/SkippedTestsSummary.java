package dev.lobbyhub.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, when a test run ends, one line per reason why tests did not run (aborted by an assumption such as
 * {@link Prerequisites#require}, or disabled), with the tests' classes and what to do about it, e.g.
 * <pre>[lobbyhub] 13 browser tests did not run (no Chromium: /usr/bin/chromium missing): ClientLibraryTest (8), DemoPageSafetyTest (5) — install: apt-get install chromium chromium-driver</pre>
 * Maven's reports only count skipped tests; the reason is in their XML. A whole class that was aborted counts with
 * all its tests here. Registered through {@code META-INF/services}, so it runs in every JUnit run of the build
 * (each surefire and failsafe execution prints its own lines). Also says when the Redis tests ran on the embedded
 * Redis 6.2 ({@link RedisServer}) rather than an installed {@code redis-server}.
 */
public final class SkippedTestsSummary implements TestExecutionListener {

    /** {@link Prerequisites}' message: {@code "<kind> tests: <missing> — <remedy>"}. */
    private static final Pattern PREREQUISITE = Pattern.compile("([\\w-]+) tests?: (.+?)(?: — (.+))?", Pattern.DOTALL);

    private record Reason(String kind, String why, String remedy) {
    }

    private final Map<Reason, Map<String, Integer>> skipped = new LinkedHashMap<>();
    private final Set<String> finished = new HashSet<>();
    private TestPlan plan;

    @Override
    public synchronized void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
        skipped.clear();
        finished.clear();
    }

    @Override
    public synchronized void executionSkipped(TestIdentifier identifier, String reason) {
        record(identifier, reason == null ? "disabled" : reason);
    }

    @Override
    public synchronized void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(identifier, message(result.getThrowable().orElse(null)));
        }
        finished.add(identifier.getUniqueId());
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan testPlan) {
        List<String> lines = new ArrayList<>();
        skipped.forEach((reason, classes) -> {
            int count = classes.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder line = new StringBuilder("[lobbyhub] ").append(count).append(' ');
            if (reason.kind() != null) {
                line.append(reason.kind()).append(' ');
            }
            line.append(count == 1 ? "test" : "tests").append(" did not run (").append(reason.why()).append("): ");
            List<String> names = new ArrayList<>();
            classes.forEach((name, n) -> names.add(n == 1 ? name : name + " (" + n + ")"));
            line.append(String.join(", ", names));
            if (reason.remedy() != null) {
                line.append(" — ").append(reason.remedy());
            }
            lines.add(line.toString());
        });
        String redis = System.getProperty(RedisServer.EMBEDDED_USED_PROPERTY);
        if (redis != null) {
            lines.add("[lobbyhub] the Redis tests ran on " + redis);
            System.clearProperty(RedisServer.EMBEDDED_USED_PROPERTY);
        }
        if (!lines.isEmpty()) {
            // Outside any test: Maven prints it as it comes, just before the run's "Results:".
            System.out.println(String.join(System.lineSeparator(), lines));
            System.out.flush();
        }
    }

    private void record(TestIdentifier identifier, String message) {
        Reason reason = parse(message);
        int count = identifier.isTest() ? 1 : unfinishedTests(identifier);
        skipped.computeIfAbsent(reason, r -> new LinkedHashMap<>()).merge(className(identifier), Math.max(count, 1),
                Integer::sum);
    }

    /** The tests of an aborted or disabled container that did not run before it was. */
    private int unfinishedTests(TestIdentifier container) {
        if (plan == null) {
            return 1;
        }
        return (int) plan.getDescendants(container).stream()
                .filter(descendant -> descendant.isTest() && !finished.contains(descendant.getUniqueId())).count();
    }

    private static Reason parse(String message) {
        String oneLine = message.strip();
        Matcher prerequisite = PREREQUISITE.matcher(oneLine);
        if (prerequisite.matches()) {
            return new Reason(prerequisite.group(1), prerequisite.group(2), prerequisite.group(3));
        }
        return new Reason(null, oneLine, null);
    }

    /** The throwable's message, or that of the first cause with one in {@link Prerequisites}' format. */
    private static String message(Throwable thrown) {
        String first = null;
        for (Throwable t = thrown; t != null && t.getCause() != t; t = t.getCause()) {
            String message = t.getMessage();
            if (message == null || message.isBlank()) {
                continue;
            }
            if (PREREQUISITE.matcher(message.strip()).matches()) {
                return message;
            }
            if (first == null) {
                first = message;
            }
        }
        if (first != null) {
            return first;
        }
        return thrown == null ? "aborted" : thrown.getClass().getSimpleName();
    }

    /** The simple name of the test's class, for a test, a parameterized invocation or a class. */
    private String className(TestIdentifier identifier) {
        for (TestIdentifier current = identifier; current != null; current = parent(current)) {
            Optional<TestSource> source = current.getSource();
            if (source.isPresent() && source.get() instanceof MethodSource method) {
                return simpleName(method.getClassName());
            }
            if (source.isPresent() && source.get() instanceof ClassSource type) {
                return simpleName(type.getClassName());
            }
        }
        return identifier.getDisplayName();
    }

    private TestIdentifier parent(TestIdentifier identifier) {
        return plan == null ? null : plan.getParent(identifier).orElse(null);
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
