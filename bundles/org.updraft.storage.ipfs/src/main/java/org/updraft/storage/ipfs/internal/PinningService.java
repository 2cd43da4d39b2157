package org.updraft.storage.ipfs.internal;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.StoreException;

/**
 * A client of a remote pinning service that follows the IPFS Pinning Service API
 * (ipfs/pinning-services-api-spec): {@code POST /pins}, {@code GET /pins}, {@code GET /pins/{requestid}},
 * {@code DELETE /pins/{requestid}}, authenticated with a bearer access token. Failures are one-line
 * {@link StoreException}s naming the call and, when the service sent one, its {@code error.reason} and
 * {@code details}; the token never appears in a message.
 */
final class PinningService {

    /** The spec's PinStatus, the parts a store tracks. */
    record PinStatus(String requestId, String status, Cid cid, String name, List<String> delegates) {
    }

    /** Every status the spec defines; {@code GET /pins} returns only pinned ones unless asked for others. */
    static final String ALL_STATUSES = "queued,pinning,pinned,failed";

    private final URI endpoint;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    PinningService(URI endpoint, String token, Duration timeout) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
            throw new IllegalArgumentException("pinning service endpoint must be http:// or https://, not " + endpoint);
        }
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the pinning service access token is empty");
        }
        String base = endpoint.toString();
        this.endpoint = URI.create(base.endsWith("/") ? base : base + "/");
        this.token = token.strip();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    URI endpoint() {
        return endpoint;
    }

    /** {@code POST /pins}: asks the service to pin {@code cid}, fetching from {@code origins} if it can. */
    PinStatus add(Cid cid, String name, List<String> origins) throws StoreException {
        StringBuilder body = new StringBuilder("{\"cid\":").append(Json.quote(cid.toString()));
        if (name != null) {
            body.append(",\"name\":").append(Json.quote(name));
        }
        if (!origins.isEmpty()) {
            body.append(",\"origins\":[");
            for (int i = 0; i < origins.size(); i++) {
                body.append(i > 0 ? "," : "").append(Json.quote(origins.get(i)));
            }
            body.append(']');
        }
        body.append('}');
        HttpRequest request = request("pins").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        return status("POST /pins", send("POST /pins", request));
    }

    /** {@code GET /pins/{requestid}}. */
    PinStatus get(String requestId) throws StoreException {
        String call = "GET /pins/" + requestId;
        return status(call, send(call, request("pins/" + encode(requestId)).GET().build()));
    }

    /** {@code GET /pins?cid=...}: the requests for {@code cid} in any status. */
    List<PinStatus> find(Cid cid) throws StoreException {
        String call = "GET /pins?cid=" + cid;
        Map<String, Object> answer = object(call, send(call, request("pins?cid=" + encode(cid.toString())
                + "&status=" + encode(ALL_STATUSES) + "&limit=1000").GET().build()));
        List<PinStatus> out = new ArrayList<>();
        if (answer.get("results") instanceof List<?> results) {
            for (Object r : results) {
                if (r instanceof Map<?, ?> m) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> status = (Map<String, Object>) m;
                    out.add(status(call, status));
                }
            }
        }
        return out;
    }

    /** {@code DELETE /pins/{requestid}}; a request the service no longer knows counts as removed. */
    void remove(String requestId) throws StoreException {
        String call = "DELETE /pins/" + requestId;
        try {
            send(call, request("pins/" + encode(requestId)).DELETE().build());
        } catch (NotFound gone) {
            // already removed
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(endpoint.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    }

    /** A 404: the request id or object is unknown to the service. */
    private static final class NotFound extends StoreException {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message);
        }
    }

    private String send(String call, HttpRequest request) throws StoreException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new StoreException("pinning service " + call + ": no answer from " + endpoint + " within "
                    + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("pinning service " + call + ": interrupted");
        } catch (IOException e) {
            throw new StoreException("pinning service " + call + ": cannot reach " + endpoint + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        int code = response.statusCode();
        if (code / 100 == 2) {
            return response.body();
        }
        String message = "pinning service " + call + ": HTTP " + code + errorText(response.body())
                + (code == 401 ? " (check the access token)" : "");
        throw code == 404 ? new NotFound(message) : new StoreException(message);
    }

    /** The spec's {"error": {"reason", "details"}}, or the start of whatever else came back. */
    private static String errorText(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        try {
            if (Json.object(body).get("error") instanceof Map<?, ?> error) {
                Object reason = error.get("reason");
                Object details = error.get("details");
                return ": " + reason + (details != null ? " (" + details + ")" : "");
            }
        } catch (IllegalArgumentException notJson) {
            // fall through
        }
        return ": " + Json.abbreviate(body);
    }

    private static Map<String, Object> object(String call, String text) throws StoreException {
        try {
            return Json.object(text);
        } catch (IllegalArgumentException e) {
            throw new StoreException("pinning service " + call + ": unreadable answer: " + e.getMessage());
        }
    }

    private static PinStatus status(String call, String text) throws StoreException {
        return status(call, object(call, text));
    }

    private static PinStatus status(String call, Map<String, Object> answer) throws StoreException {
        Object requestId = answer.get("requestid");
        Object status = answer.get("status");
        if (!(requestId instanceof String id) || !(status instanceof String s) || !(answer.get("pin") instanceof Map<?, ?> pin)
                || !(pin.get("cid") instanceof String cidText)) {
            throw new StoreException("pinning service " + call + ": the answer is not a PinStatus: "
                    + Json.abbreviate(String.valueOf(answer)));
        }
        if (!List.of("queued", "pinning", "pinned", "failed").contains(s)) {
            throw new StoreException("pinning service " + call + ": unknown pin status '" + s + "'");
        }
        Cid cid;
        try {
            cid = Cid.parseAnySpelling(cidText);
        } catch (IllegalArgumentException e) {
            throw new StoreException("pinning service " + call + ": the answer's CID " + e.getMessage());
        }
        List<String> delegates = new ArrayList<>();
        if (answer.get("delegates") instanceof List<?> list) {
            list.forEach(d -> delegates.add(String.valueOf(d)));
        }
        return new PinStatus(id, s, cid, pin.get("name") instanceof String n ? n : null, delegates);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
