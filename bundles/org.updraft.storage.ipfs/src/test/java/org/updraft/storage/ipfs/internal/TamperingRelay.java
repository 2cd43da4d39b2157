package org.updraft.storage.ipfs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An IPFS node that lies: it relays every RPC call to a real node and, in the answer to {@code block/get} of one
 * block and in every {@code cat}, flips a byte. What a compromised node, or whoever answers at the node's address, can do; the store must
 * catch it by hashing.
 */
final class TamperingRelay implements AutoCloseable {

    private final HttpServer server;
    private final URI node;
    private final String alteredBlock;
    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger altered = new AtomicInteger();

    private TamperingRelay(URI node, String alteredBlock) throws IOException {
        this.node = node;
        this.alteredBlock = alteredBlock;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::relay);
        server.start();
    }

    static TamperingRelay start(URI node, String alteredBlock) throws IOException {
        return new TamperingRelay(node, alteredBlock);
    }

    /** The API address to give the store, as the node's would be. */
    URI api() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** How many answers were altered. */
    int altered() {
        return altered.get();
    }

    private void relay(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] requestBody;
            try (InputStream in = exchange.getRequestBody()) {
                requestBody = in.readAllBytes();
            }
            URI target = node.resolve(exchange.getRequestURI().toString());
            HttpRequest.Builder request = HttpRequest.newBuilder(target)
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(requestBody));
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (contentType != null) {
                request.header("Content-Type", contentType);
            }
            HttpResponse<byte[]> answer;
            try {
                answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            byte[] body = answer.body();
            String query = exchange.getRequestURI().getRawQuery();
            String path = exchange.getRequestURI().getPath();
            boolean blockAsked = path.endsWith("/block/get") && query != null && query.contains("arg=" + alteredBlock);
            // a file read whole ('cat') is altered too, in its middle: the lie must not depend on how it is read
            if ((blockAsked || path.endsWith("/cat")) && body.length > 0) {
                body = body.clone();
                body[body.length / 2] ^= 1;
                altered.incrementAndGet();
            }
            answer.headers().firstValue("Content-Type")
                    .ifPresent(type -> exchange.getResponseHeaders().set("Content-Type", type));
            exchange.sendResponseHeaders(answer.statusCode(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
