package org.updraft.console.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The console's files served by its servlet on a real Jetty at /ui, as Pax Web serves it in Karaf. */
class ConsoleServletTest {

    private static final Path SOURCES = Paths.get("src/main/resources/console");

    static Server server;
    static String base;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        server = new Server(new InetSocketAddress("127.0.0.1", 0));
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new ConsoleServlet()), ConsoleServlet.BASE + "/*");
        server.setHandler(context);
        server.start();
        base = "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    @Test
    void theConsoleIsServedWithItsSecurityHeaders() throws Exception {
        HttpResponse<String> page = get("/ui/");
        assertEquals(200, page.statusCode());
        assertEquals("text/html;charset=utf-8", type(page));
        assertTrue(page.body().contains("<script type=\"module\" src=\"js/app.js\"></script>"), page.body());
        assertSecure(page);
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
                csp);
        assertTrue(csp.contains("frame-ancestors 'none'"), csp);

        HttpResponse<String> module = get("/ui/js/api.js");
        assertEquals(200, module.statusCode());
        assertEquals("text/javascript;charset=utf-8", type(module));
        assertEquals("text/css;charset=utf-8", type(get("/ui/console.css")));

        HttpResponse<String> bare = get("/ui");
        assertEquals(301, bare.statusCode());
        assertEquals("/ui/", bare.headers().firstValue("Location").orElse(""));
    }

    @Test
    void onlyTheConsolesOwnFilesAreServedAndOnlyToGet() throws Exception {
        for (String path : List.of("/ui/nothing.js", "/ui/js/", "/ui/../pom.xml", "/ui/%2e%2e/pom.xml",
                "/ui/js/%2e%2e/%2e%2e/org/updraft/console/internal/ConsoleServlet.class",
                "/ui/org/updraft/console/internal/ConsoleServlet.class", "/ui/console/index.html")) {
            HttpResponse<String> answer = get(path);
            assertTrue(answer.statusCode() == 404 || answer.statusCode() == 400, path + ": " + answer.statusCode());
            assertFalse(answer.body().contains("<project") || answer.body().contains("SourceFile"), path);
            if (answer.headers().firstValue("Content-Security-Policy").isPresent()) {
                assertSecure(answer);
            }
        }
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/index.html"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void anUnchangedFileIs304ToIfNoneMatch() throws Exception {
        HttpResponse<String> first = get("/ui/js/app.js");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertEquals("no-cache", first.headers().firstValue("Cache-Control").orElse(""));
        HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/js/app.js"))
                .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode());
        assertEquals("", again.body());
        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/js/app.js"))
                .header("If-None-Match", "\"something-else\"").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, other.statusCode());
    }

    /** Every file in the sources is served (the servlet's list is complete) and each is CSP-clean. */
    @Test
    void everyFileOfTheConsoleIsListedAndNeedsNoInlineScriptOrStyle() throws Exception {
        Set<String> sources;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            sources = files.filter(Files::isRegularFile).map(p -> SOURCES.relativize(p).toString().replace('\\', '/'))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(sources, new TreeSet<>(ConsoleServlet.FILES.keySet()));
        String html = Files.readString(SOURCES.resolve("index.html"));
        Matcher script = Pattern.compile("<script([^>]*)>(.*?)</script>", Pattern.DOTALL).matcher(html);
        while (script.find()) {
            assertTrue(script.group(1).contains("src="), "inline script: " + script.group());
            assertEquals("", script.group(2).strip(), "inline script: " + script.group());
        }
        assertFalse(Pattern.compile("<style|\\sstyle=|\\son[a-z]+=").matcher(html).find(), "inline style or handler");
        for (String file : sources) {
            if (file.endsWith(".js")) {
                String js = Files.readString(SOURCES.resolve(file));
                // text goes in as text: never as markup
                assertFalse(js.contains("innerHTML") || js.contains("outerHTML") || js.contains("insertAdjacentHTML")
                        || js.contains("eval(") || js.contains("new Function"), file);
                // credentials stay in memory
                assertFalse(js.contains("localStorage.") || js.contains("sessionStorage.") || js.contains("document.cookie"),
                        file);
            }
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String type(HttpResponse<String> answer) {
        return answer.headers().firstValue("Content-Type").orElse("").replace(" ", "").toLowerCase();
    }

    private static void assertSecure(HttpResponse<String> answer) {
        assertEquals(ConsoleServlet.CONTENT_SECURITY_POLICY,
                answer.headers().firstValue("Content-Security-Policy").orElse(""));
        assertEquals("nosniff", answer.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertEquals("DENY", answer.headers().firstValue("X-Frame-Options").orElse(""));
    }
}
