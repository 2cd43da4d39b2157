package org.updraft.transport.lorawan.internal.chirpstack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.updraft.core.json.JsonReader;
import org.updraft.transport.lorawan.internal.multicast.McKeys;

/**
 * The part of ChirpStack v4's API a multicast FUOTA session needs, through the REST gateway ChirpStack ships
 * ({@code chirpstack-rest-api}, JSON over HTTP in front of its gRPC API): create a Class C multicast group, add its
 * devices, enqueue a frame for the group, delete the group. Each call carries {@code Authorization: Bearer <API
 * token>}. A call that fails throws {@link ApiException} with the HTTP status and ChirpStack's own message; the token
 * and the group's keys are never part of a message.
 */
public final class ChirpstackApi {

    /** A call ChirpStack refused or did not answer. */
    public static final class ApiException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        public ApiException(int status, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        /** The HTTP status, or 0 when no answer came. */
        public int status() {
            return status;
        }

        /** Whether trying again later may work: no answer, or ChirpStack or its gateway unavailable. */
        public boolean transientFailure() {
            return status == 0 || status == 429 || status >= 500;
        }
    }

    /** A Class C multicast group as ChirpStack keeps it. */
    public record Group(String applicationId, String name, long mcAddr, McKeys.SessionKeys keys, int dataRate,
            long frequencyHz, String region) {
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final Path tokenFile;
    private final HttpClient http;

    /**
     * @param base the REST gateway, {@code http://host:8090}
     * @param tokenFile a file holding the API token (ChirpStack's web interface makes one under API keys); read at
     *     each call, so that a token replaced in the file is used without a restart
     */
    public ChirpstackApi(URI base, Path tokenFile) {
        Objects.requireNonNull(base, "base");
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("api.uri must be http://host:port or https://host:port, not " + base);
        }
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.tokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    public URI base() {
        return base;
    }

    /** Creates the group; its id. */
    public String createGroup(Group g) throws ApiException, InterruptedException {
        String body = "{\"multicastGroup\":{\"name\":" + quote(g.name()) + ",\"applicationId\":"
                + quote(g.applicationId()) + ",\"region\":" + quote(g.region()) + ",\"mcAddr\":"
                + quote(String.format(Locale.ROOT, "%08x", g.mcAddr())) + ",\"mcNwkSKey\":"
                + quote(HexFormat.of().formatHex(g.keys().mcNwkSKey())) + ",\"mcAppSKey\":"
                + quote(HexFormat.of().formatHex(g.keys().mcAppSKey())) + ",\"fCnt\":0,\"groupType\":\"CLASS_C\","
                + "\"dr\":" + g.dataRate() + ",\"frequency\":" + g.frequencyHz() + "}}";
        Map<String, Object> answer = call("POST", "/api/multicast-groups", body, "creating multicast group "
                + g.name());
        Object id = answer.get("id");
        if (!(id instanceof String s) || s.isBlank()) {
            throw new ApiException(200, "creating multicast group " + g.name() + ": ChirpStack answered no id", null);
        }
        return s;
    }

    public void addDevice(String groupId, String devEui) throws ApiException, InterruptedException {
        call("POST", "/api/multicast-groups/" + path(groupId) + "/devices", "{\"multicastGroupId\":" + quote(groupId)
                + ",\"devEui\":" + quote(devEui) + "}", "adding " + devEui + " to multicast group " + groupId);
    }

    /** Enqueues one frame for the group; the frame counter ChirpStack gave it. */
    public long enqueue(String groupId, long fCnt, int fPort, byte[] data) throws ApiException, InterruptedException {
        if (fPort < 1 || fPort > 223) {
            throw new IllegalArgumentException("a multicast frame goes on port 1 to 223, not " + fPort);
        }
        String body = "{\"queueItem\":{\"multicastGroupId\":" + quote(groupId) + ",\"fCnt\":" + fCnt + ",\"fPort\":"
                + fPort + ",\"data\":" + quote(Base64.getEncoder().encodeToString(data)) + "}}";
        Map<String, Object> answer = call("POST", "/api/multicast-groups/" + path(groupId) + "/queue", body,
                "enqueueing a frame for multicast group " + groupId);
        // the gateway writes JSON names in lower camel case unless configured for the proto names
        Object given = answer.containsKey("fCnt") ? answer.get("fCnt") : answer.get("f_cnt");
        return given instanceof Number n ? n.longValue()
                : given instanceof String s && s.matches("[0-9]{1,10}") ? Long.parseLong(s) : fCnt;
    }

    public void deleteGroup(String groupId) throws ApiException, InterruptedException {
        call("DELETE", "/api/multicast-groups/" + path(groupId), null, "deleting multicast group " + groupId);
    }

    private Map<String, Object> call(String method, String path, String body, String what)
            throws ApiException, InterruptedException {
        String token = token();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ApiException(0, what + ": no answer from ChirpStack's API at " + base + " (" + e + ")", e);
        }
        Map<String, Object> json = parse(response.body());
        if (response.statusCode() / 100 != 2) {
            Object message = json == null ? null : json.get("message");
            String said = message instanceof String s && !s.isBlank() ? s
                    : new String(response.body(), 0, Math.min(200, response.body().length), StandardCharsets.UTF_8)
                            .strip();
            throw new ApiException(response.statusCode(), what + ": ChirpStack answered HTTP " + response.statusCode()
                    + (said.isEmpty() ? "" : " (" + said + ")")
                    + (response.statusCode() == 401 || response.statusCode() == 403 ? "; check api.token.file" : ""),
                    null);
        }
        return json == null ? Map.of() : json;
    }

    private static Map<String, Object> parse(byte[] body) {
        if (body.length == 0 || body.length > 65_536) {
            return null;
        }
        try {
            return JsonReader.object(JsonReader.parse(body), "answer");
        } catch (RuntimeException e) {
            return null;
        }
    }

    private String token() throws ApiException {
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ApiException(0, "api.token.file " + tokenFile + " cannot be read: " + e.getMessage(), e);
        }
        if (token.isEmpty() || !token.matches("[\\x21-\\x7e]+")) {
            throw new ApiException(0, "api.token.file " + tokenFile + " holds no API token (one line, no blanks)",
                    null);
        }
        return token;
    }

    private static String path(String groupId) {
        if (!groupId.matches("[0-9A-Za-z-]{1,64}")) {
            throw new IllegalArgumentException("a multicast group id is a UUID, not " + groupId);
        }
        return groupId;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
