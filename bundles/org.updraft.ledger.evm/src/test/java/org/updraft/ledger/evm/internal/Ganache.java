package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real EVM chain for tests: ganache from the npm registry, installed by .ci/evm, on a free port of 127.0.0.1 with
 * the deterministic accounts and a database directory that survives a stop, so a restart is the same chain.
 */
final class Ganache implements AutoCloseable {

    static final long CHAIN_ID = 1337;
    /** Deterministic account 0: the platform's. */
    static final String PLATFORM_KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
    static final String PLATFORM = "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1";
    /** Deterministic account 1: a governance account that acts on chain directly (ganache holds its key). */
    static final String GOVERNOR = "0xffcf8fdee72ac11b5c542428b35eef5769c409f0";

    private final Path database;
    private final int port;
    private Process process;

    private Ganache(Path database, int port) {
        this.database = database;
        this.port = port;
    }

    static Path tools() {
        String dir = System.getProperty("updraft.evm.tools");
        if (dir == null) {
            fail("system property updraft.evm.tools is not set (the bundle's pom sets it)");
        }
        return Path.of(dir);
    }

    static Ganache start(Path database) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Ganache g = new Ganache(database, port);
        g.start();
        return g;
    }

    void start() throws Exception {
        Path bin = tools().resolve("node_modules/.bin/ganache");
        if (!Files.isExecutable(bin)) {
            fail("ganache is not installed in " + tools() + ": run .ci/setup");
        }
        Files.createDirectories(database);
        process = new ProcessBuilder(List.of(bin.toString(), "--server.host", "127.0.0.1", "--server.port",
                Integer.toString(port), "--wallet.deterministic", "--logging.quiet", "--chain.chainId",
                Long.toString(CHAIN_ID), "--database.dbPath", database.toString()))
                .redirectErrorStream(true).redirectOutput(database.resolveSibling(database.getFileName() + ".log")
                        .toFile())
                .start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("ganache exited at start (" + process.exitValue() + "), see " + database + ".log");
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(url()).timeout(Duration.ofSeconds(2))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        fail("ganache did not answer within 60 s");
    }

    /** Stops the chain; its database stays for {@link #start()}. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
