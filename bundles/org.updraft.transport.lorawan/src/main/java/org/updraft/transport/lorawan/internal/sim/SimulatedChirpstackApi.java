package org.updraft.transport.lorawan.internal.sim;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.multicast.McKeys;

/**
 * ChirpStack v4's REST API for multicast groups, as far as a FUOTA session uses it, in front of a simulated
 * {@link ChirpstackRadio}: an HTTP server on a loopback port (a free one, or the one asked for) that accepts only its
 * bearer token, keeps Class C groups (address, session keys, devices) and sends each enqueued frame once over the
 * radio to the group's devices, which pass it on only when their own TS005 keys are the group's. Refusals are answered as ChirpStack's gateway
 * answers them: an HTTP status and {@code {"code":..,"message":..}}.
 */
public final class SimulatedChirpstackApi implements AutoCloseable {

    private record Group(String applicationId, long mcAddr, McKeys.SessionKeys keys, Set<String> devices,
            AtomicInteger fCnt) {
    }

    private final HttpServer server;
    private final byte[] token;
    private final String applicationId;
    private final ChirpstackRadio radio;
    private final Set<String> knownDevices;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    /** Groups created and deleted so far, and calls refused for their token. */
    public final AtomicInteger created = new AtomicInteger();
    public final AtomicInteger deleted = new AtomicInteger();
    public final AtomicInteger unauthorized = new AtomicInteger();
    public final AtomicInteger enqueued = new AtomicInteger();
    /** Devices added to a group, each time. */
    public final AtomicInteger added = new AtomicInteger();

    /**
     * @param token the API token every call must carry
     * @param knownDevices the devices ChirpStack knows in the application (others cannot join a group)
     */
    public SimulatedChirpstackApi(String token, String applicationId, ChirpstackRadio radio, Set<String> knownDevices)
            throws IOException {
        this(token, applicationId, radio, knownDevices, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /**
     * @param address where to listen: a loopback address (the API accepts a token, and a simulated network server
     *     has no business outside this machine), its port 0 for a free one
     * @throws IOException when the port is taken (the message names address and port) or cannot be bound
     */
    public SimulatedChirpstackApi(String token, String applicationId, ChirpstackRadio radio, Set<String> knownDevices,
            InetSocketAddress address) throws IOException {
        if (address.isUnresolved() || !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the simulated ChirpStack API listens on a loopback address only, not "
                    + address);
        }
        this.token = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.applicationId = applicationId;
        this.radio = radio;
        this.knownDevices = Set.copyOf(knownDevices);
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new BindException("the simulated ChirpStack API cannot listen on " + hostPort(address)
                    + ": the port is in use (" + e.getMessage() + ")");
        }
        server.createContext("/api/multicast-groups", this::handle);
        server.start();
    }

    /** Where the API answers: {@code http://127.0.0.1:port}, or {@code http://[::1]:port}. */
    public URI uri() {
        return URI.create("http://" + hostPort(server.getAddress()));
    }

    private static String hostPort(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        // an IPv6 literal goes in brackets in a URI; a scope (%lo) does not belong in one
        if (host.contains(":")) {
            int scope = host.indexOf('%');
            host = "[" + (scope < 0 ? host : host.substring(0, scope)) + "]";
        }
        return host + ":" + address.getPort();
    }

    /** Groups that exist now. */
    public int groups() {
        return groups.size();
    }

    private void handle(HttpExchange x) throws IOException {
        // the exchange is closed after the answer to a bad request too: a try-with-resources on it would close it
        // before its catch could answer, and the client would see the connection dropped
        try (x) {
            serve(x);
        }
    }

    private void serve(HttpExchange x) throws IOException {
        try {
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8), token)) {
                unauthorized.incrementAndGet();
                answer(x, 401, error(16, "authentication failed: invalid token"));
                return;
            }
            String[] parts = x.getRequestURI().getPath().split("/");
            // "", "api", "multicast-groups", id?, "devices"|"queue"?
            String method = x.getRequestMethod();
            byte[] body;
            try (InputStream in = x.getRequestBody()) {
                body = in.readNBytes(65_536);
            }
            if (parts.length == 3 && method.equals("POST")) {
                create(x, body);
            } else if (parts.length == 4 && method.equals("DELETE")) {
                if (groups.remove(parts[3]) == null) {
                    answer(x, 404, error(5, "object does not exist"));
                } else {
                    deleted.incrementAndGet();
                    answer(x, 200, "{}");
                }
            } else if (parts.length == 5 && method.equals("POST") && parts[4].equals("devices")) {
                Group g = groups.get(parts[3]);
                Map<String, Object> json = JsonReader.object(JsonReader.parse(body), "request");
                String devEui = String.valueOf(json.get("devEui"));
                if (g == null || !knownDevices.contains(devEui)) {
                    answer(x, 404, error(5, "object does not exist"));
                } else {
                    g.devices.add(devEui);
                    added.incrementAndGet();
                    answer(x, 200, "{}");
                }
            } else if (parts.length == 5 && method.equals("POST") && parts[4].equals("queue")) {
                Group g = groups.get(parts[3]);
                Map<String, Object> item = JsonReader.object(JsonReader.object(JsonReader.parse(body), "request")
                        .get("queueItem"), "queueItem");
                int fPort = ((Number) item.get("fPort")).intValue();
                byte[] data = Base64.getDecoder().decode((String) item.get("data"));
                if (g == null) {
                    answer(x, 404, error(5, "object does not exist"));
                } else if (fPort < 1 || fPort > 223 || data.length > 242) {
                    answer(x, 400, error(3, "invalid fPort or payload size"));
                } else {
                    int fCnt = g.fCnt.getAndIncrement();
                    enqueued.incrementAndGet();
                    radio.multicast(g.mcAddr, g.keys, g.devices, fPort, data);
                    answer(x, 200, "{\"fCnt\":" + fCnt + "}");
                }
            } else {
                answer(x, 404, error(12, "no such method"));
            }
        } catch (RuntimeException e) {
            answer(x, 400, error(3, "bad request: " + e.getMessage()));
        }
    }

    private void create(HttpExchange x, byte[] body) throws IOException {
        Map<String, Object> g = JsonReader.object(JsonReader.object(JsonReader.parse(body), "request")
                .get("multicastGroup"), "multicastGroup");
        String app = String.valueOf(g.get("applicationId"));
        String addr = String.valueOf(g.get("mcAddr"));
        String nwk = String.valueOf(g.get("mcNwkSKey"));
        String appS = String.valueOf(g.get("mcAppSKey"));
        if (!app.equals(applicationId)) {
            answer(x, 404, error(5, "object does not exist"));
            return;
        }
        if (!addr.matches("[0-9a-fA-F]{8}") || !nwk.matches("[0-9a-fA-F]{32}") || !appS.matches("[0-9a-fA-F]{32}")
                || !"CLASS_C".equals(g.get("groupType")) || !"EU868".equals(g.get("region"))) {
            answer(x, 400, error(3, "invalid multicast group"));
            return;
        }
        String id = UUID.randomUUID().toString();
        groups.put(id, new Group(app, Long.parseLong(addr, 16), new McKeys.SessionKeys(HexFormat.of().parseHex(appS),
                HexFormat.of().parseHex(nwk)), ConcurrentHashMap.newKeySet(), new AtomicInteger()));
        created.incrementAndGet();
        answer(x, 200, "{\"id\":\"" + id + "\"}");
    }

    private static String error(int code, String message) {
        return "{\"code\":" + code + ",\"message\":\"" + message.replace("\"", "'") + "\",\"details\":[]}";
    }

    private static void answer(HttpExchange x, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The devices of every group that exists now (for tests). */
    public Set<String> members() {
        Set<String> all = new LinkedHashSet<>();
        groups.values().forEach(g -> all.addAll(g.devices));
        return all;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
