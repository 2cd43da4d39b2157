package org.updraft.console.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;

/**
 * Serves the web console's files at {@code /ui} through the OSGi HTTP Whiteboard (Pax Web in Karaf). The files are a
 * fixed set read from the bundle once, at start: a request names one of them or gets 404, so no path a caller makes up
 * reaches anything else. Every answer carries the console's security headers: a Content-Security-Policy that allows
 * scripts, styles and requests only from this origin (no inline script or style) and no framing, and no MIME sniffing.
 * The console itself holds no data: it calls the REST API at {@code /api/v1} with the user's credentials.
 */
@Component(service = Servlet.class, property = {
        "osgi.http.whiteboard.servlet.pattern=" + ConsoleServlet.BASE + "/*",
        "osgi.http.whiteboard.servlet.name=updraft-console" })
public final class ConsoleServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static final String BASE = "/ui";

    /** The console's files, under {@code console/} in the bundle, with their media types. */
    static final Map<String, String> FILES = files();

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private final transient Map<String, Asset> assets = new LinkedHashMap<>();

    /** One file: its bytes and their SHA-256 as a strong ETag. */
    private record Asset(String type, byte[] bytes, String etag) {
    }

    public ConsoleServlet() {
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            byte[] bytes = read("console/" + f.getKey());
            assets.put("/" + f.getKey(), new Asset(f.getValue(), bytes, "\"" + sha256(bytes) + "\""));
        }
    }

    private static Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.html", "text/html; charset=utf-8");
        files.put("console.css", "text/css; charset=utf-8");
        for (String module : List.of("api", "dom", "app", "views")) {
            files.put("js/" + module + ".js", "text/javascript; charset=utf-8");
        }
        return files;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        secure(response);
        String path = request.getPathInfo();
        if (path == null) {
            // /ui: relative links in the page resolve against /ui/
            response.setStatus(HttpServletResponse.SC_MOVED_PERMANENTLY);
            response.setHeader("Location", request.getContextPath() + request.getServletPath() + "/");
            return;
        }
        Asset asset = assets.get(path.equals("/") ? "/index.html" : path);
        if (asset == null) {
            response.setStatus(HttpServletResponse.SC_NOT_FOUND);
            response.setContentType("text/plain; charset=utf-8");
            response.getOutputStream().write(("no such file in the console: " + path.replaceAll("[^\\x20-\\x7e]", "?"))
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        response.setHeader("ETag", asset.etag());
        // revalidated each time: a new bundle's files are seen at the next load
        response.setHeader("Cache-Control", "no-cache");
        String match = request.getHeader("If-None-Match");
        if (match != null && (match.equals(asset.etag()) || match.strip().equals("*"))) {
            response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        response.setContentType(asset.type());
        response.setContentLength(asset.bytes().length);
        response.getOutputStream().write(asset.bytes());
    }

    /** Headers of every answer, errors included. */
    static void secure(HttpServletResponse response) {
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    }

    private static byte[] read(String resource) {
        try (InputStream in = ConsoleServlet.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the console bundle lacks its file " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
