package dev.lobbyhub.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.opentest4j.TestAbortedException;

/**
 * What a test needs from the machine besides the JDK (a browser, a command-line tool) and did not find. The test is
 * then aborted, which JUnit and the Maven reports count as skipped, with a message that
 * {@link SkippedTestsSummary} turns into one line at the end of the run: which tests did not run, why, and the
 * command that installs what they need. With {@code -D<requiredProperty>=true} (CI) it is a failure instead.
 *
 * <p>A test calls it where it needs the thing, in the test or in {@code @BeforeEach}: from {@code @BeforeAll} the
 * whole class would be aborted and Maven would count none of its tests.
 */
public final class Prerequisites {

    private Prerequisites() {
    }

    /**
     * Nothing when {@code present}; otherwise fails when {@code -D<requiredProperty>=true}, else aborts the test.
     *
     * @param kind    what the tests are, one word for the summary: {@code browser}, {@code redis}, …
     * @param missing what is missing, e.g. {@code no Chromium (/usr/bin/chromium)}
     * @param remedy  how to get it, e.g. {@code install: apt-get install chromium chromium-driver}
     */
    public static void require(boolean present, String requiredProperty, String kind, String missing, String remedy) {
        if (present) {
            return;
        }
        if (Boolean.getBoolean(requiredProperty)) {
            throw new IllegalStateException(kind + " tests are required (-D" + requiredProperty + "=true): " + missing
                    + " — " + remedy);
        }
        // The format SkippedTestsSummary reads: "<kind> tests: <missing> — <remedy>".
        throw new TestAbortedException(kind + " tests: " + missing + " — " + remedy);
    }

    /** The executable file {@code name} in a directory of {@code PATH}, if any. */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
