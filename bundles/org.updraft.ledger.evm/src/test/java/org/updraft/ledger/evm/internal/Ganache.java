package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.net.InetAddress;
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
 *
 * <p>Shared with the integration tests through this bundle's test-jar (they run it inside Karaf), so it needs no
 * test framework: failures are {@link AssertionError}s. The installation is the folder named by the system property
 * {@value #TOOLS_PROPERTY} (this bundle's {@code chain/}, which the poms pass on).
 */
public final class Ganache implements AutoCloseable {

    /** System property naming the folder that holds ganache's and solc's node_modules. */
    public static final String TOOLS_PROPERTY = "updraft.evm.tools";
    /** Chain id of {@link #start(Path)}'s chains. */
    public static final long CHAIN_ID = 1337;
    /** Deterministic account 0: the platform's. */
    public static final String PLATFORM_KEY = "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
    public static final String PLATFORM = "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1";
    /** Deterministic account 1: a governance account that acts on chain directly (ganache holds its key). */
    public static final String GOVERNOR = "0xffcf8fdee72ac11b5c542428b35eef5769c409f0";

    private final Path database;
    private final int port;
    private final long chainId;
    private Process process;

    private Ganache(Path database, int port, long chainId) {
        this.database = database;
        this.port = port;
        this.chainId = chainId;
    }

    public static Path tools() {
        String dir = System.getProperty(TOOLS_PROPERTY);
        if (dir == null) {
            throw new AssertionError("system property " + TOOLS_PROPERTY + " is not set (the poms set it)");
        }
        return Path.of(dir);
    }

    /** A chain with id {@value #CHAIN_ID} keeping its blocks in {@code database}. */
    public static Ganache start(Path database) throws IOException, InterruptedException {
        return start(database, CHAIN_ID);
    }

    public static Ganache start(Path database, long chainId) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Ganache g = new Ganache(database, port, chainId);
        g.start();
        return g;
    }

    /** Starts the chain (again, after {@link #stop()}: the same blocks, the same port). */
    public void start() throws IOException, InterruptedException {
        Path bin = tools().resolve("node_modules/.bin/ganache");
        if (!Files.isExecutable(bin)) {
            throw new AssertionError("ganache is not installed in " + tools() + ": run .ci/evm (.ci/setup runs it)");
        }
        Files.createDirectories(database);
        Path log = database.resolveSibling(database.getFileName() + ".log");
        process = new ProcessBuilder(List.of(bin.toString(), "--server.host", "127.0.0.1", "--server.port",
                Integer.toString(port), "--wallet.deterministic", "--logging.quiet", "--chain.chainId",
                Long.toString(chainId), "--database.dbPath", database.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("ganache exited at start (" + process.exitValue() + "), see " + log);
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
        stop();
        throw new AssertionError("ganache did not answer within 60 s, see " + log);
    }

    /** Stops the chain; its database stays for {@link #start()}. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Kills the chain at once, for a JVM's shutdown hook. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
