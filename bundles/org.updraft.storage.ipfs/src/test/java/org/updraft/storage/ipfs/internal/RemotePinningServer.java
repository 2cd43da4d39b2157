package org.updraft.storage.ipfs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Our own pinning service for the tests, written to the IPFS Pinning Service API spec
 * (ipfs/pinning-services-api-spec): bearer-token auth, {@code POST /pins} (202, status queued), {@code GET /pins}
 * with cid/name/status/limit filters (only pinned unless asked), {@code GET /pins/{requestid}},
 * {@code POST /pins/{requestid}} (replace), {@code DELETE /pins/{requestid}} (202), errors as
 * {@code {"error": {"reason", "details"}}}. It really pins: a request connects the provider's js-ipfs node to the
 * request's origins and runs {@code pin/add} there through the node's RPC, in the background (queued → pinning →
 * pinned or failed); a delete runs {@code pin/rm}.
 */
final class RemotePinningServer implements AutoCloseable {

    private static final class Request {
        final String id;
        final String cid;
        final String name;
        final List<String> origins;
        final Instant created = Instant.now();
        volatile String status = "queued";

        Request(String id, String cid, String name, List<String> origins) {
            this.id = id;
            this.cid = cid;
            this.name = name;
            this.origins = origins;
        }
    }

    private final String token;
    private final URI node;
    private final List<String> delegates;
    private final HttpServer server;
    private final ExecutorService pinning = Executors.newSingleThreadExecutor();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, Request> requests = new LinkedHashMap<>();
    private volatile int unauthorized;

    /**
     * Serves on {@code port} of 127.0.0.1 (0: a free one), pinning on the node whose RPC API is {@code node}.
     */
    RemotePinningServer(String token, URI node, String nodeSwarmAddress, int port) throws IOException {
        this.token = token;
        this.node = node;
        this.delegates = List.of(nodeSwarmAddress);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/psa/pins", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/psa");
    }

    /** How many requests were turned away for a missing or wrong token. */
    int unauthorized() {
        return unauthorized;
    }

    /** The status of every request for {@code cid}, oldest first. */
    synchronized List<String> statuses(String cid) {
        return requests.values().stream().filter(r -> r.cid.equals(cid)).map(r -> r.status).toList();
    }

    @Override
    public void close() throws InterruptedException {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
        pinning.shutdownNow();
        pinning.awaitTermination(10, TimeUnit.SECONDS);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                unauthorized++;
                error(exchange, 401, "UNAUTHORIZED", "Access token is missing or invalid");
                return;
            }
            String path = exchange.getRequestURI().getPath().substring("/psa/pins".length());
            String method = exchange.getRequestMethod();
            if (path.isEmpty() || path.equals("/")) {
                switch (method) {
                    case "GET" -> list(exchange);
                    case "POST" -> add(exchange, null);
                    default -> error(exchange, 405, "METHOD_NOT_ALLOWED", method + " /pins");
                }
                return;
            }
            String id = path.substring(1);
            Request request;
            synchronized (this) {
                request = requests.get(id);
            }
            if (request == null) {
                error(exchange, 404, "NOT_FOUND", "no pin request " + id);
                return;
            }
            switch (method) {
                case "GET" -> send(exchange, 200, status(request));
                case "POST" -> add(exchange, request);
                case "DELETE" -> {
                    synchronized (this) {
                        requests.remove(id);
                    }
                    pinning.execute(() -> unpinUnlessWanted(request.cid));
                    exchange.sendResponseHeaders(202, -1);
                }
                default -> error(exchange, 405, "METHOD_NOT_ALLOWED", method + " /pins/" + id);
            }
        } catch (RuntimeException e) {
            error(exchange, 500, "INTERNAL_SERVER_ERROR", String.valueOf(e.getMessage()));
        }
    }

    private void add(HttpExchange exchange, Request replaced) throws IOException {
        Map<String, Object> body;
        try (InputStream in = exchange.getRequestBody()) {
            body = Json.object(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            error(exchange, 400, "BAD_REQUEST", e.getMessage());
            return;
        }
        if (!(body.get("cid") instanceof String cid) || cid.isBlank()) {
            error(exchange, 400, "BAD_REQUEST", "cid is required");
            return;
        }
        List<String> origins = new ArrayList<>();
        if (body.get("origins") instanceof List<?> list) {
            list.forEach(o -> origins.add(String.valueOf(o)));
        }
        Request request = new Request(UUID.randomUUID().toString(), cid,
                body.get("name") instanceof String n ? n : null, origins);
        synchronized (this) {
            if (replaced != null) {
                requests.remove(replaced.id);
            }
            requests.put(request.id, request);
        }
        pinning.execute(() -> pin(request));
        send(exchange, 202, status(request));
    }

    private void list(HttpExchange exchange) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        List<String> wanted = List.of(query.getOrDefault("status", "pinned").split(","));
        List<String> cids = query.containsKey("cid") ? List.of(query.get("cid").split(",")) : null;
        int limit = Integer.parseInt(query.getOrDefault("limit", "10"));
        List<String> results = new ArrayList<>();
        int count = 0;
        synchronized (this) {
            for (Request r : requests.values()) {
                if (wanted.contains(r.status) && (cids == null || cids.contains(r.cid))
                        && (!query.containsKey("name") || query.get("name").equals(r.name))) {
                    count++;
                    if (results.size() < limit) {
                        results.add(status(r));
                    }
                }
            }
        }
        send(exchange, 200, "{\"count\":" + count + ",\"results\":[" + String.join(",", results) + "]}");
    }

    /** Connects the provider's node to the origins and pins there; the request ends pinned or failed. */
    private void pin(Request request) {
        request.status = "pinning";
        for (String origin : request.origins) {
            rpc("swarm/connect?arg=" + encode(origin)); // an unreachable origin is not fatal: others may serve
        }
        HttpResponse<String> answer = rpc("pin/add?recursive=true&timeout=60s&arg=" + encode(request.cid));
        request.status = answer != null && answer.statusCode() == 200 ? "pinned" : "failed";
    }

    private void unpinUnlessWanted(String cid) {
        synchronized (this) {
            if (requests.values().stream().anyMatch(r -> r.cid.equals(cid))) {
                return;
            }
        }
        rpc("pin/rm?recursive=true&arg=" + encode(cid));
    }

    private HttpResponse<String> rpc(String command) {
        try {
            return http.send(HttpRequest.newBuilder(node.resolve("/api/v0/" + command))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private String status(Request r) {
        StringBuilder pin = new StringBuilder("{\"cid\":").append(Json.quote(r.cid));
        if (r.name != null) {
            pin.append(",\"name\":").append(Json.quote(r.name));
        }
        pin.append(",\"origins\":[").append(String.join(",", r.origins.stream().map(Json::quote).toList()))
                .append("]}");
        return "{\"requestid\":" + Json.quote(r.id) + ",\"status\":" + Json.quote(r.status) + ",\"created\":"
                + Json.quote(r.created.toString()) + ",\"pin\":" + pin + ",\"delegates\":["
                + String.join(",", delegates.stream().map(Json::quote).toList()) + "]}";
    }

    private static void error(HttpExchange exchange, int code, String reason, String details) throws IOException {
        send(exchange, code, "{\"error\":{\"reason\":" + Json.quote(reason) + ",\"details\":" + Json.quote(details)
                + "}}");
    }

    private static void send(HttpExchange exchange, int code, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String encode(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
