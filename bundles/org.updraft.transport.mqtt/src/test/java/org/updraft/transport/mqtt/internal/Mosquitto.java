package org.updraft.transport.mqtt.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mosquitto broker of a test's own (Debian's {@code mosquitto}, installed by .ci/setup): a generated
 * configuration in the test's directory, a free port on 127.0.0.1, no persistence, its log in the directory.
 * {@link #stop()} and {@link #start()} again keep the port, so a test can take the broker away and bring it back.
 */
final class Mosquitto implements AutoCloseable {

    private static final long START_MILLIS = 10_000;

    private final Path dir;
    private final List<String> extraConfig;
    private final int port;
    private Process process;

    /**
     * @param dir where the configuration and the log go (a {@code @TempDir})
     * @param extraConfig lines added to the listener's configuration, e.g. {@code password_file ...}; none means
     *        anonymous clients may do anything
     */
    private Mosquitto(Path dir, List<String> extraConfig, int port) {
        this.dir = dir;
        this.extraConfig = extraConfig;
        this.port = port;
    }

    /** A broker that lets anonymous clients do anything, started. */
    static Mosquitto start(Path dir) throws IOException, InterruptedException {
        return start(dir, List.of());
    }

    static Mosquitto start(Path dir, List<String> extraConfig) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Mosquitto broker = new Mosquitto(dir, extraConfig, freePort());
            try {
                broker.start();
                return broker;
            } catch (IOException e) {
                // the free port was taken between our probe and mosquitto's bind: try another
                last = e;
            }
        }
        throw last;
    }

    /** {@code tcp://127.0.0.1:port}, for Paho. */
    String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Starts (again) on the same port; returns when it accepts connections. */
    void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Path config = dir.resolve("mosquitto.conf");
        StringBuilder text = new StringBuilder();
        // as root mosquitto would switch to the user "mosquitto", which cannot read the test's files
        text.append("user ").append(System.getProperty("user.name")).append('\n');
        text.append("persistence false\n");
        // small request/response round trips: without it Nagle's algorithm holds each answer back for an ack
        text.append("set_tcp_nodelay true\n");
        text.append("log_dest file ").append(dir.resolve("mosquitto.log")).append('\n');
        text.append("log_type all\n");
        text.append("listener ").append(port).append(" 127.0.0.1\n");
        if (extraConfig.isEmpty()) {
            text.append("allow_anonymous true\n");
        }
        for (String line : extraConfig) {
            text.append(line).append('\n');
        }
        Files.writeString(config, text);
        process = new ProcessBuilder(executable(), "-c", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.out").toFile()))
                .start();
        long deadline = System.currentTimeMillis() + START_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("mosquitto stopped at start (exit " + process.exitValue() + "): "
                        + Files.readString(dir.resolve("mosquitto.out")).strip());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        stop();
        throw new IOException("mosquitto did not accept connections on port " + port + " within " + START_MILLIS
                + " ms");
    }

    /** Stops the broker: its clients lose their connection. */
    void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** What the broker logged, for assertion messages. */
    String log() {
        try {
            return Files.readString(dir.resolve("mosquitto.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** The path of a mosquitto program ({@code mosquitto}, {@code mosquitto_rr}, ...), or a failure naming .ci/setup. */
    static String program(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String d : path.split(":")) {
            Path candidate = Path.of(d, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new AssertionError(name + " is not installed: run .ci/setup (it installs Debian's mosquitto and "
                + "mosquitto-clients)");
    }

    private static String executable() {
        return program("mosquitto");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
