package org.updraft.itests;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A mosquitto of the test's own (Debian's, installed by .ci/setup), run from inside Karaf, where the unit tests'
 * {@code org.updraft.testing.Mosquitto} (a plain jar, not a bundle) cannot be loaded: anonymous clients, no
 * persistence, on 127.0.0.1 and the port the test gives (chosen before Karaf started when Karaf's configuration names
 * it).
 * {@link #kill()} and {@link #start()} again keep the port: a broker outage.
 */
final class BrokerProcess implements AutoCloseable {

    private final Path dir;
    private final int port;
    private Process process;

    BrokerProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** Starts (again); returns when it accepts connections. */
    BrokerProcess start() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("mosquitto.conf"), "user " + System.getProperty("user.name")
                + "\npersistence false\nset_tcp_nodelay true\nlog_dest file " + dir.resolve("broker.log")
                + "\nlog_type error\nlog_type warning\nlog_type notice\nlistener " + port
                + " 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\n");
        process = new ProcessBuilder(program("mosquitto"), "-c", config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.out").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("mosquitto stopped at start: " + log());
            }
            if (accepts()) {
                return this;
            }
            Thread.sleep(50);
        }
        throw new IOException("mosquitto does not accept connections on " + port + " within 10 s");
    }

    /** Kills the broker at once (SIGKILL): its clients see their connections drop, as in a crash. */
    void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String log() {
        try {
            return Files.readString(dir.resolve("mosquitto.out")) + Files.readString(dir.resolve("broker.log"));
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The path of a mosquitto program, or a failure naming .ci/setup. */
    static String program(String name) {
        for (String d : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new AssertionError(name + " is not installed: run .ci/setup (Debian's mosquitto, mosquitto-clients)");
    }
}
