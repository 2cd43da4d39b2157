package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The web console (feature updraft-console) in the distribution, driven in a real browser: Debian's chromium, headless,
 * through /usr/bin/chromedriver (both installed by .ci/setup). One Karaf for the class. An operator (a Karaf user,
 * HTTP Basic) watches a demo rollout's progress move and pauses it from the console; the pause is on the ledger,
 * named after the operator. A viewer (an API token) watching the same running rollout is offered no button. Every
 * wait is on a condition in the page or the API. Screenshots go to target/screenshots.
 */
public class ConsoleBrowserIT {

    private static final String PASSWORD = "console-pass-1";
    /**
     * Long enough to watch and pause (plain CoAP in this copy): 200 devices in a canary wave of 5 and three region waves,
     * 1 MiB each in 128-byte blocks, so that a wave takes seconds even on a quiet machine and the pause comes before the
     * last wave could finish.
     */
    private static final String DEMO = "updraft:demo --devices 200 --image-size 1024 --block-size 128 --loss 0 "
            + "--boot-failures 0 --offline 0 --quiet --timeout 600";
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static KarafProcess karaf;
    private static String http;
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<WebDriver> drivers = new ArrayList<>();
    private static Path screenshots;

    @BeforeClass
    public static void startKarafWithTheConsole() throws Exception {
        screenshots = Files.createDirectories(Paths.get("target", "screenshots").toAbsolutePath());
        karaf = KarafProcess.unpack("console");
        int port = freePort();
        karaf.setProperty("etc/org.ops4j.pax.web.cfg", "org.osgi.service.http.port", Integer.toString(port));
        // Karaf's realm, the SSH users: an operator (JAAS role manager) and a viewer
        karaf.setProperty("etc/users.properties", "olga", PASSWORD + ",manager");
        karaf.setProperty("etc/users.properties", "vera", PASSWORD + ",viewer");
        karaf.start();
        http = "http://127.0.0.1:" + port;
        // Pax Web and the JAX-RS whiteboard first, up and serving, then the console and the API: installed all at once,
        // Pax Web's first configuration can coincide with the API's redeployment when file install reads back
        // etc/org.updraft.rest.cfg, and Pax Web 8 and Aries JAX-RS Whiteboard 2.0.2 then deadlock (seen once here: the
        // paxweb-config thread waiting for Aries' Registry lock, which the configuration event thread held while
        // waiting for the paxweb-config thread)
        karaf.execute("feature:install aries-jax-rs-whiteboard");
        await("Pax Web serving on " + http, Duration.ofMinutes(2), () -> get("/", null).statusCode() > 0);
        karaf.execute("feature:install updraft-console");
        // the API is deployed once more when file install takes up the configuration the feature wrote to etc/
        await("file install to take up etc/org.updraft.rest.cfg", Duration.ofMinutes(1), () -> karaf.client(
                "config:list '(service.pid=org.updraft.rest)'", Duration.ofSeconds(30)).output()
                .contains("felix.fileinstall.filename"));
        await("the console at /ui/ and the API at /api/v1", Duration.ofMinutes(2), () -> {
            HttpResponse<String> page = get("/ui/", null);
            HttpResponse<String> api = get("/api/v1/caller", basic("olga"));
            return page.statusCode() == 200 && api.statusCode() == 200;
        });
    }

    @AfterClass
    public static void stop() throws Exception {
        for (WebDriver d : drivers) {
            try {
                d.quit();
            } catch (RuntimeException e) {
                System.out.println("[ConsoleBrowserIT] could not quit a browser: " + e);
            }
        }
        if (karaf != null) {
            karaf.close();
        }
    }

    @Test
    public void anOperatorWatchesADemoRolloutMoveAndPausesItWhileAViewerIsOfferedNoButton() throws Exception {
        String viewerToken = token("wall", "viewer");
        // both logged in and watching before the rollout exists: the operator sees it from its first wave on, so the
        // pause comes while later waves have not begun, however fast the machine runs the fleet
        WebDriver viewer = browser();
        logIn(viewer, null, viewerToken);
        WebDriver operator = browser();
        logIn(operator, "olga", null);
        CompletableFuture<KarafProcess.Result> demo = CompletableFuture.supplyAsync(() -> {
            try {
                return karaf.client(DEMO, Duration.ofMinutes(12));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        // the operator, a Karaf user with HTTP Basic, sees devices installed
        WebElement section = await(operator, "the demo's rollout in the operator's console",
                d -> d.findElement(By.cssSelector("section.rollout")));
        String rollout = section.getAttribute("data-rollout");
        By installed = By.cssSelector("section.rollout[data-rollout='" + rollout + "'] .rollout-installed");
        int first = await(operator, "some devices installed", d -> {
            int n = Integer.parseInt(d.findElement(installed).getAttribute("data-installed"));
            return n > 0 ? n : null;
        });

        // the viewer, with an API token, sees the same rollout running, and no button to steer it
        await(viewer, "rollout " + rollout + " running in the viewer's console", d -> d.findElement(
                By.cssSelector("section.rollout[data-rollout='" + rollout + "'] .rollout-state")).getText()
                .equals("running") ? true : null);
        assertEquals("the viewer is offered no action", 0,
                viewer.findElements(By.cssSelector("section.rollout .actions button")).size());
        assertTrue(viewer.findElement(By.id("whoami")).getText(), viewer.findElement(By.id("whoami")).getText()
                .contains("wall (viewer, API token)"));
        screenshot(viewer, "viewer-rollout-running");
        // and the API refuses the viewer's pause anyway
        HttpResponse<String> refused = send("POST", "/api/v1/rollouts/" + rollout + "/pause", "Bearer " + viewerToken);
        assertEquals(refused.body(), 403, refused.statusCode());
        assertEquals("role-too-low", JSON.readTree(refused.body()).get("code").asText());

        // the operator sees the progress move, then pauses
        int later = await(operator, "more devices installed than " + first, d -> {
            int n = Integer.parseInt(d.findElement(installed).getAttribute("data-installed"));
            return n > first ? n : null;
        });
        System.out.println("[ConsoleBrowserIT] installed seen moving from " + first + " to " + later);
        screenshot(operator, "operator-rollout-moving");
        By pause = By.cssSelector("button.action-pause[data-rollout='" + rollout + "']");
        await(operator, "the pause button of " + rollout, d -> {
            d.findElement(pause).click();
            return true;
        });
        await(operator, "rollout " + rollout + " shown paused", d -> d.findElement(
                By.cssSelector("section.rollout[data-rollout='" + rollout + "'] .rollout-state")).getText()
                .equals("paused") ? true : null);
        assertTrue(operator.findElement(By.id("error")).getText(),
                operator.findElement(By.id("error")).getText().contains("Rollout " + rollout + ": paused"));
        await(operator, "a resume button where the pause button was", d -> d.findElement(
                By.cssSelector("button.action-resume[data-rollout='" + rollout + "']")).isDisplayed() ? true : null);
        screenshot(operator, "operator-rollout-paused");
        // the viewer's console follows, still without a button
        await(viewer, "the viewer sees the pause", d -> d.findElement(
                By.cssSelector("section.rollout[data-rollout='" + rollout + "'] .rollout-state")).getText()
                .equals("paused") ? true : null);
        assertEquals(0, viewer.findElements(By.cssSelector("section.rollout .actions button")).size());

        // the ledger has the pause, by the operator who clicked, through the API and the shell
        List<String> steps = rolloutSteps();
        assertTrue(steps.toString(), steps.contains("paused by operator:olga"));
        String shown = karaf.execute("updraft:rollout-show " + rollout);
        assertTrue(shown, shown.contains("paused"));
        KarafProcess.Result ended = demo.get(10, TimeUnit.MINUTES);
        assertTrue(ended.output(), ended.output().contains(rollout + " paused"));

        // a device's page: its history from the ledger, its reports signed by its own key
        String device = installedDevice();
        operator.get(http + "/ui/#device/" + device);
        await(operator, "device " + device + "'s installed report", d -> {
            for (WebElement row : d.findElements(By.cssSelector("tr.history-event[data-type='device.reported']"))) {
                if (row.getText().contains("installed") && row.getText().contains("signed by the device")) {
                    return true;
                }
            }
            return null;
        });
        assertTrue(operator.findElement(By.id("device-history")).getText().contains("rollout.offered"));
        screenshot(operator, "operator-device-history");

        // the other views render from the API
        operator.findElement(By.id("nav-fleet")).click();
        await(operator, "the fleet's counts", d -> d.findElement(By.id("fleet-total")).getText()
                .startsWith("200 registered devices") ? true : null);
        operator.findElement(By.id("nav-releases")).click();
        await(operator, "the demo's release with its checked ledger proof", d -> d.findElement(
                By.cssSelector("#release-table td.proof")).getText().startsWith("verified in the checkpoint") ? true : null);
        screenshot(operator, "operator-releases");
        operator.findElement(By.id("nav-health")).click();
        await(operator, "store and ledger health", d -> d.findElement(By.id("store-health")).getText()
                .contains("up") ? true : null);
        operator.findElement(By.id("verify-ledger")).click();
        await(operator, "the ledger verified", d -> d.findElement(By.id("ledger-verify")).getText()
                .startsWith("consistent:") ? true : null);
        screenshot(operator, "operator-health");
    }

    @Test
    public void aWrongPasswordIsShownReadablyAndTheBrowserKeepsNoCredentials() throws Exception {
        WebDriver browser = browser();
        browser.get(http + "/ui/");
        browser.findElement(By.id("login-user")).sendKeys("vera");
        browser.findElement(By.id("login-password")).sendKeys("not-her-password");
        browser.findElement(By.id("login-submit")).click();
        String error = await(browser, "the API's refusal", d -> {
            WebElement e = d.findElement(By.id("error"));
            return e.isDisplayed() && !e.getText().isEmpty() ? e.getText() : null;
        });
        assertEquals("401 Unauthorized: wrong user name or password (bad-credentials)", error);
        assertTrue(browser.findElement(By.id("login")).isDisplayed());
        screenshot(browser, "login-refused");

        logIn(browser, "vera", null);
        assertTrue(browser.findElement(By.id("whoami")).getText().contains("vera (viewer)"));
        Object kept = ((JavascriptExecutor) browser).executeScript(
                "return [localStorage.length, sessionStorage.length, document.cookie].join('|');");
        assertEquals("no storage, no cookie", "0|0|", kept);
        assertEquals("the form forgot the password", "",
                browser.findElement(By.id("login-password")).getAttribute("value"));

        HttpResponse<String> page = get("/ui/", null);
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp, csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"));
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
        // under that policy the page loaded its style and every module (the login above ran them)
        Object loaded = ((JavascriptExecutor) browser).executeScript(
                "return performance.getEntriesByType('resource').filter(e => e.name.includes('/ui/')).length;");
        assertTrue("files the page loaded from /ui/: " + loaded, ((Number) loaded).intValue() >= 5);
    }

    // ---------------------------------------------------------------- the browser

    private static WebDriver browser() throws IOException {
        Path profile = Files.createTempDirectory(Files.createDirectories(Paths.get("target", "chromium").toAbsolutePath()),
                "profile-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Paths.get("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        WebDriver driver = new ChromeDriver(service, options);
        drivers.add(driver);
        return driver;
    }

    /** Logs in with a Karaf user ({@link #PASSWORD}) or a token, and waits for the rollouts view. */
    private static void logIn(WebDriver d, String user, String token) {
        d.get(http + "/ui/");
        await(d, "the login form", x -> x.findElement(By.id("login-form")).isDisplayed() ? true : null);
        if (token != null) {
            d.findElement(By.id("login-token")).sendKeys(token);
        } else {
            d.findElement(By.id("login-user")).sendKeys(user);
            d.findElement(By.id("login-password")).sendKeys(PASSWORD);
        }
        d.findElement(By.id("login-submit")).click();
        await(d, "logged in", x -> x.findElement(By.id("whoami")).isDisplayed()
                && x.findElement(By.id("rollout-list")).isDisplayed() ? true : null);
    }

    /** Waits for {@code condition} to give a value, taking a missing or replaced element as "not yet". */
    private static <T> T await(WebDriver d, String what, Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(d, WAIT, Duration.ofMillis(200))
                    .ignoring(NoSuchElementException.class)
                    .ignoring(StaleElementReferenceException.class)
                    .ignoring(NumberFormatException.class)
                    .withMessage(() -> "waiting for " + what)
                    .until(condition::apply);
        } catch (RuntimeException e) {
            screenshot(d, "failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
            throw e;
        }
    }

    private static void screenshot(WebDriver d, String name) {
        try {
            Files.write(screenshots.resolve("console-" + name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
        } catch (IOException | RuntimeException e) {
            System.out.println("[ConsoleBrowserIT] no screenshot " + name + ": " + e);
        }
    }

    // ---------------------------------------------------------------- the platform, outside the browser

    private static String token(String name, String role) throws Exception {
        String out = karaf.execute("updraft:token-create --role " + role + " " + name).strip();
        String token = out.substring(out.lastIndexOf('\n') + 1).strip();
        assertTrue(out, token.startsWith("updraft_"));
        return token;
    }

    /** Every rollout.changed on the ledger as "STATE by ACTOR", read through the API from its first event on. */
    private static List<String> rolloutSteps() throws Exception {
        List<String> steps = new ArrayList<>();
        long from = 0;
        while (true) {
            JsonNode page = JSON.readTree(get("/api/v1/ledger/events?limit=1000&from=" + from, basic("vera")).body());
            JsonNode events = page.get("events");
            for (JsonNode e : events) {
                if (e.get("type").asText().equals("rollout.changed")) {
                    steps.add(e.get("state").asText() + " by " + e.get("by").asText());
                }
            }
            from += events.size();
            if (events.size() == 0 || from >= page.get("size").asLong()) {
                return steps;
            }
        }
    }

    private static String installedDevice() throws Exception {
        JsonNode devices = JSON.readTree(get("/api/v1/devices?limit=1000", basic("vera")).body()).get("devices");
        for (JsonNode d : devices) {
            if (d.get("state").asText().equals("installed")) {
                return d.get("id").asText();
            }
        }
        throw new AssertionError("no device installed: " + devices);
    }

    private static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(http + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(http + path)).header("Authorization", authorization)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("waited " + timeout + " for " + what + (last == null ? "" : ": " + last)
                + "\n" + karaf.logTail());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
