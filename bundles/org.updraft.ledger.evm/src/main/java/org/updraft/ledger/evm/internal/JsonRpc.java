package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Ethereum JSON-RPC 2.0 over HTTP, on the JDK's client. Two kinds of failure are kept apart because anchoring
 * treats them differently: {@link ChainUnreachableException} (try again later) and {@link RpcError} (the node
 * answered no, e.g. a reverted call).
 */
final class JsonRpc {

    /** The node answered with a JSON-RPC error. */
    static final class RpcError extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        RpcError(int code, String message) {
            super(message);
            this.code = code;
        }

        /** The revert reason when the error is a reverted execution, else {@code null}. */
        String revertReason() {
            String m = getMessage();
            int at = m.indexOf("revert");
            if (at < 0) {
                return null;
            }
            String reason = m.substring(at + "revert".length()).trim();
            if (reason.startsWith(":")) {
                reason = reason.substring(1).trim();
            }
            return reason.isEmpty() ? "reverted without a reason" : reason;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final HttpClient http;
    private final Duration timeout;
    private final AtomicLong ids = new AtomicLong();

    JsonRpc(URI endpoint, Duration timeout) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        // the client's default pool is unbounded and its threads name no component: two named threads, each gone
        // after a few idle seconds, so nothing outlives a stopped component; never shut down, so no late call can
        // hang on it
        ThreadPoolExecutor workers = new ThreadPoolExecutor(2, 2, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemonThreads("updraft-evm-rpc-"));
        workers.allowCoreThreadTimeOut(true);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1)
                .executor(workers).build();
    }

    URI endpoint() {
        return endpoint;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Calls {@code method} with the given parameters (strings, numbers, booleans, maps or JsonNodes). */
    JsonNode call(String method, Object... params) throws ChainUnreachableException, RpcError {
        ObjectNode request = JSON.createObjectNode();
        request.put("jsonrpc", "2.0");
        request.put("id", ids.incrementAndGet());
        request.put("method", method);
        ArrayNode array = request.putArray("params");
        for (Object p : params) {
            array.add(JSON.valueToTree(p));
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(endpoint).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(request))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ChainUnreachableException("chain node " + endpoint + " unreachable (" + method + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChainUnreachableException("interrupted while calling " + method, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new ChainUnreachableException("chain node " + endpoint + " answered HTTP " + response.statusCode()
                    + " to " + method);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new ChainUnreachableException("chain node " + endpoint + " sent no JSON to " + method, e);
        }
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            throw new RpcError(error.path("code").asInt(), method + ": " + error.path("message").asText());
        }
        return answer.path("result");
    }

    static long quantity(JsonNode hex) {
        String s = hex.asText();
        if (!s.startsWith("0x")) {
            throw new IllegalArgumentException("not a hex quantity: " + s);
        }
        return Long.parseUnsignedLong(s.substring(2), 16);
    }

    static String quantity(long value) {
        return "0x" + Long.toHexString(value);
    }
}
