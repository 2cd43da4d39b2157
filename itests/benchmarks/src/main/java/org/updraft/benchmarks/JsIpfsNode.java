package org.updraft.benchmarks;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Row 2's reference: the js-ipfs node of TESTENV.md (installed by {@code .ci/ipfs} under the IPFS store bundle),
 * started offline on a fresh repository with its RPC API on a free port of 127.0.0.1, stopped on close.
 */
final class JsIpfsNode implements AutoCloseable {

    /** Where .ci/ipfs installs js-ipfs, from the repository's root (where .ci/bench runs the harness). */
    static final Path JSIPFS = Path.of("bundles/org.updraft.storage.ipfs/node/node_modules/.bin/jsipfs")
            .toAbsolutePath();

    private final Path repo;
    private final Path log;
    private final int port;
    private final Process daemon;

    JsIpfsNode(Path dir) throws Exception {
        if (!Files.isExecutable(JSIPFS)) {
            throw new IllegalStateException("js-ipfs is not installed at " + JSIPFS + ": run .ci/ipfs");
        }
        repo = dir.resolve("ipfs-repo");
        log = dir.resolve("jsipfs.log");
        port = freePort();
        Process init = jsipfs("init", "--empty-repo").start();
        if (!init.waitFor(120, TimeUnit.SECONDS) || init.exitValue() != 0) {
            init.destroyForcibly();
            throw new IllegalStateException("jsipfs init failed: " + Files.readString(log));
        }
        // alone and offline: js-ipfs stops at start on its default swarm addresses
        String config = Files.readString(repo.resolve("config"))
                .replaceAll("\"Swarm\"\\s*:\\s*\\[[^\\]]*\\]", "\"Swarm\": []")
                .replaceAll("\"Bootstrap\"\\s*:\\s*\\[[^\\]]*\\]", "\"Bootstrap\": []")
                .replaceAll("\"API\"\\s*:\\s*\"[^\"]*\"", "\"API\": \"/ip4/127.0.0.1/tcp/" + port + "\"")
                .replaceAll("\"Gateway\"\\s*:\\s*\"[^\"]*\"", "\"Gateway\": \"/ip4/127.0.0.1/tcp/" + freePort() + "\"")
                .replaceAll("\"RPC\"\\s*:\\s*\"[^\"]*\"", "\"RPC\": \"/ip4/127.0.0.1/tcp/" + freePort() + "\"")
                .replaceAll("(\"MDNS\"\\s*:\\s*\\{\\s*\"Enabled\"\\s*:\\s*)true", "$1false")
                .replaceAll("(\"webRTCStar\"\\s*:\\s*\\{\\s*\"Enabled\"\\s*:\\s*)true", "$1false");
        Files.writeString(repo.resolve("config"), config);
        daemon = jsipfs("daemon", "--offline").start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the js-ipfs daemon stopped at start: " + Files.readString(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(api("version")).POST(HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("the js-ipfs daemon did not answer in 120 s: " + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    URI api(String command) {
        return URI.create("http://127.0.0.1:" + port + "/api/v0/" + command);
    }

    private ProcessBuilder jsipfs(String... args) {
        String[] line = new String[args.length + 1];
        line[0] = JSIPFS.toString();
        System.arraycopy(args, 0, line, 1, args.length);
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("IPFS_PATH", repo.toString());
        return builder;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(15, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
