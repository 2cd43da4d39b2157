package org.updraft.storage.ipfs.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.StoreException;

/**
 * A client for the part of the Kubo RPC API ({@code POST /api/v0/<command>}) that a firmware store needs,
 * over the JDK's HTTP client. Served the same way by Kubo and js-ipfs.
 *
 * <p>Every failure is a {@link StoreException} whose one-line message names the command and, when the node
 * answered, the node's own message. A request that cannot connect is tried again {@code retries} times
 * (a node restarting is the usual cause) and then reported as {@link NodeUnreachableException}. An add is
 * retried only while none of its content has been read, since the caller's stream cannot be rewound.
 */
final class KuboRpc {

    /** What the node answered to {@code add}. */
    record Added(Cid cid, String name) {
    }

    /** What {@code block/stat} answered. */
    record BlockStat(Cid cid, long size) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final URI api;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final Duration transferTimeout;
    private final Duration lookupTimeout;
    private final int retries;
    private final Duration retryPause;

    /**
     * @param apiUrl the node's RPC address, e.g. {@code http://127.0.0.1:5001}
     * @param requestTimeout how long a small command may take
     * @param transferTimeout how long an add may take to be answered, and a cat to start answering
     * @param lookupTimeout how long the node may look for an object before it counts as absent
     */
    KuboRpc(URI apiUrl, Duration connectTimeout, Duration requestTimeout, Duration transferTimeout,
            Duration lookupTimeout, int retries, Duration retryPause) {
        Objects.requireNonNull(apiUrl, "apiUrl");
        if (!"http".equals(apiUrl.getScheme()) && !"https".equals(apiUrl.getScheme())) {
            throw new IllegalArgumentException("IPFS API address must be http:// or https://, not " + apiUrl);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("retries must be 0 or more, not " + retries);
        }
        String base = apiUrl.toString();
        this.api = URI.create(base.endsWith("/") ? base : base + "/");
        this.requestTimeout = requestTimeout;
        this.transferTimeout = transferTimeout;
        this.lookupTimeout = lookupTimeout;
        this.retries = retries;
        this.retryPause = retryPause;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    URI api() {
        return api;
    }

    /** {@code version}: the node's implementation version, e.g. {@code 0.17.0}. */
    String version() throws StoreException {
        Map<String, Object> answer = object("version", call("version", Map.of(), requestTimeout));
        return string("version", answer, "Version");
    }

    /**
     * {@code add}: streams {@code content} as the one file of a multipart body, without holding it in memory.
     * The stream is read on the HTTP client's thread; the caller may wrap it to see the bytes go by.
     */
    Added add(InputStream content, CidOptions options, boolean pin) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("cid-version", Integer.toString(options.cidVersion()));
        params.put("raw-leaves", Boolean.toString(options.rawLeaves()));
        params.put("chunker", "size-" + options.chunkSize());
        params.put("pin", Boolean.toString(pin));
        params.put("progress", "false");
        if (options.cidVersion() == 1) {
            params.put("cid-base", "base32"); // js-ipfs would print base58btc
        }
        String boundary = "updraft-" + HexFormat.of().formatHex(randomBytes(12));
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"firmware\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        AtomicBoolean bodyStarted = new AtomicBoolean();
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofInputStream(() -> {
            if (!bodyStarted.compareAndSet(false, true)) {
                throw new IllegalStateException("the content of an add can be sent only once");
            }
            return new SequenceInputStream(Collections.enumeration(List.of(new ByteArrayInputStream(head),
                    content, new ByteArrayInputStream(tail))));
        });
        HttpRequest request = HttpRequest.newBuilder(uri("add", params)).timeout(transferTimeout)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(body).build();
        String text = send("add", request, bodyStarted, HttpResponse.BodyHandlers.ofString());
        List<Map<String, Object>> lines = lines("add", text);
        if (lines.isEmpty()) {
            throw new StoreException("ipfs add: the node answered without a CID");
        }
        Map<String, Object> last = lines.get(lines.size() - 1);
        return new Added(cid("add", string("add", last, "Hash")), String.valueOf(last.get("Name")));
    }

    /**
     * {@code cat}: {@code length} bytes from {@code offset}; a negative length reads to the end. The caller
     * closes the stream.
     */
    InputStream cat(Cid cid, long offset, long length) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("arg", cid.toString());
        if (offset > 0) {
            params.put("offset", Long.toString(offset));
        }
        if (length >= 0) {
            params.put("length", Long.toString(length));
        }
        HttpRequest request = HttpRequest.newBuilder(uri("cat", params)).timeout(transferTimeout)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return send("cat", request, null, HttpResponse.BodyHandlers.ofInputStream());
    }

    /**
     * Blocks larger than this are refused unread: IPFS itself moves no larger block (bitswap's limit is 2 MiB), and
     * a node that sends more is not to be buffered.
     */
    static final int MAX_BLOCK = 2 * 1024 * 1024;

    /**
     * {@code block/get}: the bytes the node holds for one block, unchecked: the caller hashes them against the CID
     * before using any (core's UnixFsReader does), since the node is not trusted with the content.
     */
    byte[] block(Cid cid) throws StoreException {
        HttpRequest request = HttpRequest.newBuilder(uri("block/get", Map.of("arg", cid.toString())))
                .timeout(transferTimeout).POST(HttpRequest.BodyPublishers.noBody()).build();
        try (InputStream body = send("block/get", request, null, HttpResponse.BodyHandlers.ofInputStream())) {
            byte[] block = body.readNBytes(MAX_BLOCK + 1);
            if (block.length > MAX_BLOCK) {
                throw new StoreException("ipfs block/get " + cid + ": the node sent more than " + MAX_BLOCK
                        + " bytes for one block");
            }
            return block;
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("ipfs block/get " + cid + ": the answer broke off: " + e.getMessage(), e);
        }
    }

    /**
     * {@code files/stat} of {@code /ipfs/<cid>}: the file's size in bytes, from the node's own blocks only. Kubo
     * honours {@code offline=true} and answers at once when it lacks the root; js-ipfs ignores it and waits for
     * the block, so {@code timeout} bounds the wait (both read it as a Go-style duration).
     *
     * @throws StoreException whose message {@link #lacksObject} recognises when the node does not hold it
     */
    long fileSize(Cid cid) throws StoreException {
        return fileSize(cid, lookupTimeout);
    }

    /** {@link #fileSize(Cid)} with its own bound on the node's lookup. */
    long fileSize(Cid cid, Duration lookup) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("arg", "/ipfs/" + cid);
        params.put("offline", "true");
        params.put("timeout", lookup.toMillis() + "ms");
        Map<String, Object> answer = object("files/stat", call("files/stat", params, lookup.plus(requestTimeout)));
        return number("files/stat", answer, "Size");
    }

    /** The bound on requests that move a whole object; also a generous bound on a lookup of a held one. */
    Duration transferTimeout() {
        return transferTimeout;
    }

    /** Whether a failed lookup means the node does not hold the object (rather than that it failed). */
    static boolean lacksObject(StoreException e) {
        if (e instanceof NodeUnreachableException) {
            return false;
        }
        String message = e.getMessage().toLowerCase(java.util.Locale.ROOT);
        return message.contains("not found") || timedOut(e) || message.contains("could not find");
    }

    /** Whether the node gave up looking within the lookup timeout (js-ipfs waits for blocks it lacks). */
    static boolean timedOut(StoreException e) {
        String message = e.getMessage().toLowerCase(java.util.Locale.ROOT);
        return message.contains("timed out") || message.contains("deadline exceeded");
    }

    /** {@code refs --recursive}: how many links the DAG under {@code cid} has, so its blocks are this plus one. */
    long linkCount(Cid cid) throws StoreException {
        String text = call("refs", Map.of("arg", cid.toString(), "recursive", "true"), transferTimeout);
        List<Map<String, Object>> lines = lines("refs", text);
        for (Map<String, Object> line : lines) {
            Object err = line.get("Err");
            if (err != null && !String.valueOf(err).isEmpty()) {
                throw new StoreException("ipfs refs " + cid + ": " + err);
            }
        }
        return lines.size();
    }

    /** {@code block/stat}. */
    BlockStat blockStat(Cid cid) throws StoreException {
        Map<String, Object> answer = object("block/stat", call("block/stat", Map.of("arg", cid.toString()),
                requestTimeout));
        return new BlockStat(cid("block/stat", string("block/stat", answer, "Key")),
                number("block/stat", answer, "Size"));
    }

    /** {@code pin/add}, recursive. */
    void pinAdd(Cid cid) throws StoreException {
        call("pin/add", Map.of("arg", cid.toString(), "recursive", "true"), transferTimeout);
    }

    /** {@code pin/rm}, recursive. */
    void pinRm(Cid cid) throws StoreException {
        call("pin/rm", Map.of("arg", cid.toString(), "recursive", "true"), requestTimeout);
    }

    /** {@code pin/ls --type=recursive}: the roots pinned recursively, which is how a store pins objects. */
    List<Cid> pinLs() throws StoreException {
        String text = call("pin/ls", Map.of("type", "recursive"), requestTimeout);
        List<Cid> out = new ArrayList<>();
        for (Map<String, Object> line : lines("pin/ls", text)) {
            Object keys = line.get("Keys");
            if (keys instanceof Map<?, ?> map) { // Kubo, and js-ipfs without stream=true: {"Keys": {cid: {...}}}
                for (Object key : map.keySet()) {
                    out.add(cid("pin/ls", String.valueOf(key)));
                }
            } else if (line.get("Cid") != null) { // streamed: one {"Cid": ..., "Type": ...} per line
                out.add(cid("pin/ls", String.valueOf(line.get("Cid"))));
            }
        }
        return out;
    }

    /** Whether {@code cid} is pinned recursively. */
    boolean isPinned(Cid cid) throws StoreException {
        try {
            String text = call("pin/ls", Map.of("arg", cid.toString(), "type", "recursive"), requestTimeout);
            return !lines("pin/ls", text).isEmpty();
        } catch (NodeUnreachableException e) {
            throw e;
        } catch (StoreException e) {
            if (e.getMessage().contains("not pinned")) {
                return false;
            }
            throw e;
        }
    }

    /** A key of the node's keychain: its name and the IPNS name it publishes under. */
    record Key(String name, String id) {
    }

    /** What {@code name/publish} answered: the IPNS name and the path it now points at. */
    record Published(String name, String value) {
    }

    /** {@code key/list}: the node's keys by name (js-ipfs lists each key twice; one entry per name is kept). */
    Map<String, Key> keyList() throws StoreException {
        Map<String, Object> answer = object("key/list", call("key/list", Map.of(), requestTimeout));
        Map<String, Key> out = new LinkedHashMap<>();
        if (answer.get("Keys") instanceof List<?> keys) {
            for (Object k : keys) {
                if (k instanceof Map<?, ?> m && m.get("Name") instanceof String name && m.get("Id") instanceof String id) {
                    out.putIfAbsent(name, new Key(name, id));
                }
            }
        }
        return out;
    }

    /** {@code key/gen}: an Ed25519 key (Kubo's default; js-ipfs would make RSA unless told). */
    Key keyGen(String name) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("arg", name);
        params.put("type", "ed25519");
        Map<String, Object> answer = object("key/gen", call("key/gen", params, requestTimeout));
        return new Key(string("key/gen", answer, "Name"), string("key/gen", answer, "Id"));
    }

    /**
     * {@code name/publish}: points the IPNS name of key {@code key} at {@code path} (e.g. {@code /ipfs/CID}) for
     * {@code lifetime} (a Go-style duration such as {@code 24h}). {@code allow-offline} lets Kubo publish without
     * peers (it keeps the record locally). js-ipfs 0.66.1 ignores the flag: started {@code --offline} (or with no
     * DHT) it keeps the record in its own datastore and publishes at once.
     */
    Published namePublish(String key, String path, String lifetime, boolean allowOffline) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("arg", path);
        params.put("key", key);
        params.put("lifetime", lifetime);
        params.put("allow-offline", Boolean.toString(allowOffline));
        params.put("resolve", "true"); // the node checks it holds the path before it points the name there
        Map<String, Object> answer = object("name/publish", call("name/publish", params, transferTimeout));
        return new Published(string("name/publish", answer, "Name"), string("name/publish", answer, "Value"));
    }

    /**
     * {@code name/resolve} of {@code /ipns/<name>}, bypassing the node's cache: the path it points at. A js-ipfs
     * node started {@code --offline} refuses {@code nocache} ("cannot specify both offline and nocache") but
     * resolves from its own records without it, so the request is repeated without.
     */
    String nameResolve(String name) throws StoreException {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("arg", name.startsWith("/ipns/") ? name : "/ipns/" + name);
        params.put("recursive", "true");
        params.put("nocache", "true");
        String text;
        try {
            text = call("name/resolve", params, lookupTimeout.plus(requestTimeout));
        } catch (NodeUnreachableException e) {
            throw e;
        } catch (StoreException e) {
            if (!e.getMessage().contains("offline and nocache")) {
                throw e;
            }
            params.remove("nocache");
            text = call("name/resolve", params, lookupTimeout.plus(requestTimeout));
        }
        return string("name/resolve", object("name/resolve", text), "Path");
    }

    /**
     * The node's own multiaddrs with its peer id, for a pinning service to fetch from: {@code id}'s Addresses,
     * or, where the node lists none there (js-ipfs), {@code swarm/addrs/local?id=true}.
     */
    List<String> ownAddresses() throws StoreException {
        Map<String, Object> id = object("id", call("id", Map.of(), requestTimeout));
        List<String> out = new ArrayList<>();
        if (id.get("Addresses") instanceof List<?> addresses) {
            addresses.forEach(a -> out.add(String.valueOf(a)));
        }
        if (out.isEmpty()) {
            Map<String, Object> local = object("swarm/addrs/local", call("swarm/addrs/local", Map.of("id", "true"),
                    requestTimeout));
            if (local.get("Strings") instanceof List<?> strings) {
                strings.forEach(a -> out.add(String.valueOf(a)));
            }
        }
        return out;
    }

    private String call(String command, Map<String, String> params, Duration timeout) throws StoreException {
        HttpRequest request = HttpRequest.newBuilder(uri(command, params)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return send(command, request, null, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Sends with retries on connection failure, and turns an error answer into a {@link StoreException}
     * carrying the node's message. {@code bodyStarted}, when given, stops retries once the body was read.
     */
    private <T> T send(String command, HttpRequest request, AtomicBoolean bodyStarted,
            HttpResponse.BodyHandler<T> handler) throws StoreException {
        for (int attempt = 0;; attempt++) {
            HttpResponse<T> response;
            try {
                response = http.send(request, handler);
            } catch (ConnectException | HttpConnectTimeoutException e) {
                boolean canRetry = bodyStarted == null || !bodyStarted.get();
                if (attempt < retries && canRetry) {
                    pause(command, attempt);
                    continue;
                }
                throw new NodeUnreachableException("ipfs " + command + ": cannot connect to the IPFS node at " + api
                        + (attempt > 0 ? " (tried " + (attempt + 1) + " times)" : "") + ": " + describeConnect(e), e);
            } catch (HttpTimeoutException e) {
                throw new StoreException("ipfs " + command + ": no answer from the IPFS node at " + api + " within "
                        + request.timeout().map(Duration::toSeconds).orElse(0L) + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("ipfs " + command + ": interrupted", new InterruptedIOException());
            } catch (IOException e) {
                if (isConnectFailure(e) && attempt < retries && (bodyStarted == null || !bodyStarted.get())) {
                    pause(command, attempt);
                    continue;
                }
                if (isConnectFailure(e)) {
                    throw new NodeUnreachableException("ipfs " + command + ": cannot connect to the IPFS node at "
                            + api + (attempt > 0 ? " (tried " + (attempt + 1) + " times)" : "") + ": "
                            + describeConnect(e), e);
                }
                throw new StoreException("ipfs " + command + ": " + describe(e), e);
            }
            if (response.statusCode() / 100 == 2) {
                return response.body();
            }
            throw new StoreException("ipfs " + command + ": " + errorMessage(response));
        }
    }

    private void pause(String command, int attempt) throws StoreException {
        try {
            Thread.sleep(retryPause.toMillis() * (attempt + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("ipfs " + command + ": interrupted while waiting to retry");
        }
    }

    private static boolean isConnectFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** The JDK reports a refused connection as a ConnectException without a message around a closed channel. */
    private static String describeConnect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return "connection refused";
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }

    /** The node's {"Message": ...} when it sent one, else the HTTP status and the start of the body. */
    private static String errorMessage(HttpResponse<?> response) {
        String text;
        Object body = response.body();
        try {
            text = body instanceof InputStream in
                    ? new String(in.readNBytes(4096), StandardCharsets.UTF_8)
                    : String.valueOf(body);
            if (body instanceof InputStream in) {
                in.close();
            }
        } catch (IOException e) {
            text = "";
        }
        try {
            Object message = Json.object(text).get("Message");
            if (message != null && !String.valueOf(message).isBlank()) {
                return String.valueOf(message).strip();
            }
        } catch (IllegalArgumentException notJson) {
            // fall through to the raw answer
        }
        return "HTTP " + response.statusCode() + (text.isBlank() ? "" : ": " + Json.abbreviate(text));
    }

    private URI uri(String command, Map<String, String> params) {
        StringBuilder path = new StringBuilder("api/v0/").append(command);
        char separator = '?';
        for (Map.Entry<String, String> p : params.entrySet()) {
            path.append(separator).append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
            separator = '&';
        }
        return api.resolve(path.toString());
    }

    private static Map<String, Object> object(String command, String text) throws StoreException {
        try {
            return Json.object(text);
        } catch (IllegalArgumentException e) {
            throw new StoreException("ipfs " + command + ": unreadable answer: " + e.getMessage());
        }
    }

    private static List<Map<String, Object>> lines(String command, String text) throws StoreException {
        try {
            return Json.lines(text);
        } catch (IllegalArgumentException e) {
            throw new StoreException("ipfs " + command + ": unreadable answer: " + e.getMessage());
        }
    }

    private static String string(String command, Map<String, Object> answer, String key) throws StoreException {
        Object value = answer.get(key);
        if (!(value instanceof String s)) {
            throw new StoreException("ipfs " + command + ": the answer has no \"" + key + "\": " + answer);
        }
        return s;
    }

    private static long number(String command, Map<String, Object> answer, String key) throws StoreException {
        Object value = answer.get(key);
        if (value instanceof Number n) {
            return n.longValue();
        }
        if (value instanceof String s) { // some js-ipfs answers quote sizes
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new StoreException("ipfs " + command + ": the answer has no number \"" + key + "\": " + answer);
    }

    private static Cid cid(String command, String text) throws StoreException {
        try {
            return Cid.parseAnySpelling(text); // js-ipfs writes CIDv1 in base58btc
        } catch (IllegalArgumentException e) {
            throw new StoreException("ipfs " + command + ": the node answered " + e.getMessage());
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
