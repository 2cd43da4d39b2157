package org.updraft.storage.ipfs.internal;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real js-ipfs node for the tests, offline, in its own fresh repository with its RPC API on a free port of
 * 127.0.0.1. Installed by {@code .ci/ipfs} (part of {@code .ci/setup}); missing, the test fails and says so.
 *
 * <p>Shared with the integration tests through this bundle's test-jar (they run it inside Karaf), so it needs no
 * test framework: failures are {@link AssertionError}s, which JUnit 4 and 5 both report as failures. The node's
 * installation is this bundle's {@code node/} folder, or the folder named by the system property
 * {@value #NODE_DIR_PROPERTY}.
 */
public final class IpfsDaemon implements AutoCloseable {

    /** System property naming the folder that holds js-ipfs's node_modules; default {@code node}. */
    public static final String NODE_DIR_PROPERTY = "updraft.ipfs.node";

    private static final Path NODE_DIR = Path.of(System.getProperty(NODE_DIR_PROPERTY, "node")).toAbsolutePath();
    private static final Path JSIPFS = NODE_DIR.resolve("node_modules/.bin/jsipfs");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path repo;
    private final int apiPort;
    private final int swarmPort;
    private final Path log;
    private Process process;
    /** Started with {@code --offline}: always for {@link #start}, after {@link #restartOffline} for the others. */
    private boolean offline;

    private IpfsDaemon(Path repo, int apiPort, int swarmPort) {
        this.repo = repo;
        this.apiPort = apiPort;
        this.swarmPort = swarmPort;
        this.log = repo.resolveSibling(repo.getFileName() + ".log");
    }

    /** Initialises a fresh repository under {@code dir} and starts the daemon on it. */
    public static IpfsDaemon start(Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(JSIPFS)) {
            fail("js-ipfs is not installed (" + JSIPFS + " is missing): run .ci/ipfs (.ci/setup runs it)");
        }
        Path repo = dir.resolve("ipfs-repo");
        IpfsDaemon daemon = new IpfsDaemon(repo, freePort(), -1);
        daemon.offline = true;
        daemon.run("init", "--empty-repo");
        daemon.configure();
        daemon.startDaemon();
        return daemon;
    }

    /**
     * A daemon that is online but alone: it listens for peers on a TCP port of 127.0.0.1 only, bootstraps from
     * nobody, and keeps IPNS records in its own datastore ({@code Routing.Type} none). Two such daemons fetch
     * from each other once connected ({@code swarm/connect}), as a pinning service's node fetches from ours.
     */
    static IpfsDaemon startOnline(Path dir, String name) throws IOException, InterruptedException {
        if (!Files.isExecutable(JSIPFS)) {
            fail("js-ipfs is not installed (" + JSIPFS + " is missing): run .ci/ipfs (.ci/setup runs it)");
        }
        Path repo = dir.resolve(name);
        IpfsDaemon daemon = new IpfsDaemon(repo, freePort(), freePort());
        daemon.run("init", "--empty-repo");
        daemon.configure();
        daemon.startDaemon();
        return daemon;
    }

    /** The swarm address other daemons connect to, with this node's peer id. */
    String swarmAddress() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String id = http.send(HttpRequest.newBuilder(api().resolve("/api/v0/id")).POST(HttpRequest.BodyPublishers
                .noBody()).build(), HttpResponse.BodyHandlers.ofString()).body();
        String peer = String.valueOf(Json.object(id).get("ID"));
        return "/ip4/127.0.0.1/tcp/" + swarmPort + "/p2p/" + peer;
    }

    public URI api() {
        return URI.create("http://127.0.0.1:" + apiPort);
    }

    /** Kills the daemon as a crash would: no clean shutdown, the repository lock stays behind. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts the daemon again on the same repository and port, after {@link #kill()}. */
    public void restart() throws IOException, InterruptedException {
        startDaemon();
    }

    /** Stops the daemon and starts it again on the same repository with {@code --offline}. */
    void restartOffline() throws IOException, InterruptedException {
        close();
        offline = true;
        startDaemon();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private void run(String... args) throws IOException, InterruptedException {
        ProcessBuilder builder = command(args).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = builder.start();
        if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("jsipfs " + String.join(" ", args) + " did not finish; its output is in " + log);
        }
        if (p.exitValue() != 0) {
            fail("jsipfs " + String.join(" ", args) + " exited with " + p.exitValue() + ": " + Files.readString(log));
        }
    }

    /**
     * Alone: no bootstrap, no discovery, free ports. Offline it has no swarm addresses (js-ipfs stops on the
     * default ones); online one TCP address on 127.0.0.1 and no DHT.
     */
    private void configure() throws IOException {
        Path config = repo.resolve("config");
        String text = Files.readString(config);
        String swarm = swarmPort < 0 ? "[]" : "[\"/ip4/127.0.0.1/tcp/" + swarmPort + "\"]";
        text = text.replaceAll("\"Swarm\"\\s*:\\s*\\[[^\\]]*\\]", "\"Swarm\": " + swarm)
                .replaceAll("\"Delegates\"\\s*:\\s*\\[[^\\]]*\\]", "\"Delegates\": []")
                .replaceAll("(\"Routing\"\\s*:\\s*\\{\\s*\"Type\"\\s*:\\s*)\"[^\"]*\"", "$1\"none\"")
                .replaceAll("\"Bootstrap\"\\s*:\\s*\\[[^\\]]*\\]", "\"Bootstrap\": []")
                .replaceAll("\"API\"\\s*:\\s*\"[^\"]*\"", "\"API\": \"/ip4/127.0.0.1/tcp/" + apiPort + "\"")
                .replaceAll("\"Gateway\"\\s*:\\s*\"[^\"]*\"", "\"Gateway\": \"/ip4/127.0.0.1/tcp/" + freePort() + "\"")
                .replaceAll("(\"MDNS\"\\s*:\\s*\\{\\s*\"Enabled\"\\s*:\\s*)true", "$1false")
                .replaceAll("(\"webRTCStar\"\\s*:\\s*\\{\\s*\"Enabled\"\\s*:\\s*)true", "$1false")
                .replaceAll("\"RPC\"\\s*:\\s*\"[^\"]*\"", "\"RPC\": \"/ip4/127.0.0.1/tcp/" + freePort() + "\"");
        Files.writeString(config, text);
    }

    private void startDaemon() throws IOException, InterruptedException {
        // a daemon killed hard leaves its lock directory; ours is dead, so the lock is stale
        deleteTree(repo.resolve("repo.lock"));
        process = (offline ? command("daemon", "--offline") : command("daemon", "--enable-preload=false"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("the js-ipfs daemon stopped at start: " + Files.readString(log));
            }
            try {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(api().resolve("/api/v0/version"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        fail("the js-ipfs daemon did not answer within " + START_TIMEOUT.toSeconds() + " s: " + Files.readString(log));
    }

    private ProcessBuilder command(String... args) {
        String[] line = new String[args.length + 1];
        line[0] = JSIPFS.toString();
        System.arraycopy(args, 0, line, 1, args.length);
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
        builder.environment().put("IPFS_PATH", repo.toString());
        return builder;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static void fail(String message) {
        throw new AssertionError(message);
    }
}
