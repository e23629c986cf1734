package dev.lobbyhub.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) with a fresh
 * profile ({@code -Dbrowser.chromium=…} and {@code -Dbrowser.chromedriver=…} name other files). Without them the
 * browser tests are skipped and listed at the end of the run ({@link #requireInstalled()}), unless
 * {@code -Dbrowser.tests.required=true} (set by CI), which makes a missing browser a failure.
 */
public final class Browser implements AutoCloseable {

    public static final String CHROMIUM = System.getProperty("browser.chromium", "/usr/bin/chromium");
    public static final String CHROMEDRIVER = System.getProperty("browser.chromedriver", "/usr/bin/chromedriver");
    public static final Duration WAIT = Duration.ofSeconds(15);

    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    public static Browser open() {
        requireInstalled();
        try {
            Path profile = Files.createTempDirectory("lobbyhub-chromium");
            ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new",
                    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--user-data-dir=" + profile);
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of(CHROMEDRIVER)
                    .toFile()).usingAnyFreePort().build();
            return new Browser(new ChromeDriver(service, options), profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Nothing when Chromium and its driver are installed; otherwise aborts the test (skipped, and listed with the
     * command that installs them at the end of the run), or fails it with {@code -Dbrowser.tests.required=true}.
     * {@link #open()} calls it; call it in a test, or in {@code @BeforeEach}, never in {@code @BeforeAll}: Maven
     * would then count none of the class's tests.
     */
    public static void requireInstalled() {
        List<String> missing = new ArrayList<>();
        for (String file : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(Path.of(file))) {
                missing.add(file);
            }
        }
        Prerequisites.require(missing.isEmpty(), "browser.tests.required", "browser",
                "no Chromium: " + String.join(" and ", missing) + " missing",
                "install: apt-get install chromium chromium-driver");
    }

    public WebDriver driver() {
        return driver;
    }

    public Browser get(String url) {
        driver.get(url);
        return this;
    }

    /** Runs a script in the page and returns its value. */
    public Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Runs an async script: the last argument is the callback. */
    public Object asyncScript(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
    }

    public <T> T await(Function<WebDriver, T> condition) {
        return await(WAIT, condition);
    }

    public <T> T await(Duration limit, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, limit).until(condition);
    }

    /** Waits until the element's text contains {@code text}. */
    public void awaitText(By by, String text) {
        await(d -> d.findElements(by).stream().anyMatch(e -> e.getText().contains(text)));
    }

    /** The demo page's connection state: idle, connecting, open, reconnecting or closed. */
    public String state() {
        return (String) script("return window.lobby ? window.lobby.state : 'none';");
    }

    public void awaitState(String state) {
        await(d -> state.equals(state()));
    }

    @Override
    public void close() {
        driver.quit();
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temp profile left behind is harmless
        }
    }
}
