package org.updraft.itests.distribution;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Updraft distribution run as a user runs it: unpacked from karaf-assembly's archive into a directory
 * of its own under {@code target/distributions}, started with {@code bin/karaf server}, driven with
 * {@code bin/client} over SSH, stopped with {@code bin/stop}. It can be stopped and started again on the
 * same directory, which a Pax Exam container cannot do mid-test.
 *
 * <p>The copy listens on loopback only, on a free SSH port, has a user of its own made with
 * {@code bin/updraft-admin}, and reaches no Maven repository but its own {@code system/} folder.
 *
 * <pre>
 * try (KarafProcess karaf = KarafProcess.unpack("restart")) {
 *     karaf.start();
 *     String out = karaf.execute("bundle:list -t 0");   // fails unless the command succeeds
 *     karaf.stop();
 * }
 * </pre>
 */
public final class KarafProcess implements AutoCloseable {

    /** Boot on this machine takes about 10 s; leave room for a loaded CI machine. */
    public static final Duration START_TIMEOUT = Duration.ofMinutes(2);
    public static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
    public static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(1);

    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path home;
    private final int sshPort;
    private final String user = "itest";
    private final String password;
    private final Path consoleLog;
    private Process karaf;

    private KarafProcess(Path home, int sshPort, String password) {
        this.home = home;
        this.sshPort = sshPort;
        this.password = password;
        this.consoleLog = home.resolve("console.log");
    }

    /**
     * Unpacks the distribution archive (system property {@code updraft.distribution}) into
     * {@code target/distributions/<name>-<random>} and prepares it to run next to other copies.
     */
    public static KarafProcess unpack(String name) throws IOException, InterruptedException {
        Path archive = Paths.get(requiredProperty("updraft.distribution"));
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("no distribution archive at " + archive + ": build karaf-assembly first");
        }
        Path parent = Files.createDirectories(Paths.get("target", "distributions").toAbsolutePath());
        Path dir = Files.createTempDirectory(parent, name + "-");
        // tar keeps the archive's file modes: bin/* must stay executable.
        Result untar = run(dir, List.of("tar", "-xzf", archive.toString(), "--strip-components=1", "-C", dir.toString()),
                Map.of(), null, Duration.ofMinutes(2));
        if (untar.exitCode() != 0) {
            throw new IOException("could not unpack " + archive + ": " + untar.output());
        }
        String password = HexFormat.of().formatHex(randomBytes(12));
        KarafProcess process = new KarafProcess(dir, freePort(), password);
        process.configure();
        return process;
    }

    private void configure() throws IOException, InterruptedException {
        setProperty("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(sshPort));
        setProperty("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
        // The CoAP device API on loopback and a port of its own: several distributions may run at once.
        setProperty("etc/org.updraft.transport.coap.cfg", "bind.address", "127.0.0.1");
        setProperty("etc/org.updraft.transport.coap.cfg", "port", Integer.toString(freeUdpPort()));
        // Everything the boot features need must be in system/: no remote repository, no ~/.m2.
        setProperty("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories", "");
        setProperty("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", "${karaf.data}/repository");
        // The user comes from the distribution's own tool, which is how an operator makes one.
        Result added = runIn(List.of(home.resolve("bin/updraft-admin").toString(), "add-user", user), password + "\n",
                Duration.ofSeconds(30));
        if (added.exitCode() != 0) {
            throw new IllegalStateException("bin/updraft-admin add-user failed: " + added.output());
        }
    }

    public Path home() {
        return home;
    }

    public int sshPort() {
        return sshPort;
    }

    public boolean isRunning() {
        return karaf != null && karaf.isAlive();
    }

    /** Starts {@code bin/karaf server} without JAVA_HOME (bin/setenv finds java) and waits until boot finished. */
    public void start() throws IOException, InterruptedException {
        if (isRunning()) {
            throw new IllegalStateException("Karaf in " + home + " is already running");
        }
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Paths.get("/dev/null").toFile()));
        builder.environment().remove("JAVA_HOME");
        builder.environment().remove("KARAF_HOME");
        builder.environment().remove("KARAF_BASE");
        long begin = System.nanoTime();
        karaf = builder.start();
        awaitBootFinished(START_TIMEOUT);
        log("started in " + home.getFileName() + " in " + millisSince(begin) + " ms (ssh port " + sshPort + ")");
    }

    /**
     * Waits until SSH answers and the features service has installed the boot features. Shell commands
     * are services too; a command a test needs may come a moment later ({@link #awaitCommand}).
     */
    public void awaitBootFinished(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!isRunning()) {
                throw new IllegalStateException("Karaf exited with code " + karaf.exitValue()
                        + " while starting; console:\n" + consoleTail());
            }
            if (sshAnswers()) {
                Result result = client("service:list org.apache.karaf.features.BootFinished", Duration.ofSeconds(30));
                last = result.output();
                if (result.exitCode() == 0 && last.contains("org.apache.karaf.features.BootFinished")) {
                    return;
                }
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Karaf in " + home + " did not finish booting within " + timeout
                + "; last client output:\n" + last + "\nconsole:\n" + consoleTail() + "\nlog:\n" + logTail());
    }

    /** Waits until {@code scope:name} is a known command (its {@code --help} succeeds). */
    public void awaitCommand(String command, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Result last = null;
        while (System.nanoTime() < deadline) {
            // `help <command>` prints nothing over an exec channel; `<command> --help` does, or fails.
            last = client(command + " --help", Duration.ofSeconds(30));
            if (last.exitCode() == 0) {
                return;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("command " + command + " did not appear within " + timeout + ": " + last);
    }

    /** Runs a shell command through {@code bin/client}; fails unless it exits 0. Returns what it printed. */
    public String execute(String command) throws IOException, InterruptedException {
        Result result = client(command, COMMAND_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new AssertionError("'" + command + "' exited " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    /** Runs a shell command through {@code bin/client} and returns its exit code and output, whatever they are. */
    public Result client(String command, Duration timeout) throws IOException, InterruptedException {
        List<String> cmd = List.of(home.resolve("bin/client").toString(),
                "-h", "127.0.0.1", "-a", Integer.toString(sshPort), "-u", user, "-p", password,
                "-r", "1", command);
        // bin/client closes the session as soon as its standard input ends, so keep it open until it exits.
        // A client JVM lives for one command: C1 and the serial collector start it about 25 % faster.
        return run(home, cmd, Map.of("TERM", "dumb", "JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
                null, timeout);
    }

    /** Runs one of the distribution's own scripts, e.g. {@code run("bin/updraft", "--help")}. */
    public Result run(String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve(script).toString());
        cmd.addAll(List.of(args));
        return run(home, cmd, Map.of(), null, COMMAND_TIMEOUT);
    }

    /** Same, feeding {@code input} to its standard input. */
    public Result runIn(List<String> cmd, String input, Duration timeout) throws IOException, InterruptedException {
        return run(home, cmd, Map.of(), input, timeout);
    }

    /** Same, with environment variables added. */
    public Result runWithEnv(List<String> cmd, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        return run(home, cmd, env, null, timeout);
    }

    /** {@code bin/stop}, then waits for the Karaf process to end. */
    public void stop() throws IOException, InterruptedException {
        if (!isRunning()) {
            return;
        }
        long begin = System.nanoTime();
        Result stop = run("bin/stop");
        if (!karaf.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new IllegalStateException("Karaf did not stop within " + STOP_TIMEOUT + " of bin/stop ("
                    + stop.output() + "); killed it. Console:\n" + consoleTail());
        }
        log("stopped in " + millisSince(begin) + " ms");
    }

    /**
     * Stops a Karaf that the distribution's own scripts started in the background (bin/start, as
     * bin/updraft-quickstart does), and waits until its JVM is gone: bin/stop returns before Karaf has exited.
     */
    public void stopStartedByScripts() throws IOException, InterruptedException {
        long begin = System.nanoTime();
        Result stop = run("bin/stop");
        long deadline = begin + STOP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (jvmsOfThisCopy().isEmpty()) {
                log("stopped (bin/start's Karaf) in " + millisSince(begin) + " ms");
                return;
            }
            Thread.sleep(250);
        }
        jvmsOfThisCopy().forEach(ProcessHandle::destroyForcibly);
        throw new IllegalStateException("Karaf started by bin/start did not stop within " + STOP_TIMEOUT
                + " of bin/stop (" + stop.output() + "); killed it");
    }

    /** The Karaf JVMs running from this copy, whoever started them. */
    private List<ProcessHandle> jvmsOfThisCopy() throws IOException {
        String marker = "-Dkaraf.home=" + home.toRealPath();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                .toList();
    }

    /** Kills Karaf and the JVM the script started, without a clean shutdown. */
    public void kill() throws InterruptedException {
        if (karaf == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>();
        karaf.descendants().forEach(tree::add);
        tree.add(karaf.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        karaf.waitFor(30, TimeUnit.SECONDS);
    }

    /** Stops Karaf if it runs and deletes the copy, unless {@code -Dupdraft.itest.keep=true}. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stop();
        } finally {
            if (karaf != null && karaf.isAlive()) {
                kill();
            }
            if (!Boolean.getBoolean("updraft.itest.keep")) {
                deleteTree(home);
            }
        }
    }

    /** Sets {@code key = value} in a properties-style file of the copy, replacing an existing line for the key. */
    public void setProperty(String relativeFile, String key, String value) throws IOException {
        Path file = home.resolve(relativeFile);
        List<String> lines = Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
        Pattern existing = Pattern.compile("^\\s*" + Pattern.quote(key) + "\\s*[=:].*");
        String line = key + " = " + value;
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++) {
            if (existing.matcher(lines.get(i)).matches()) {
                lines.set(i, line);
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            lines.add(line);
        }
        Files.write(file, lines);
    }

    public String consoleTail() {
        return tail(consoleLog, 40);
    }

    public String logTail() {
        return tail(home.resolve("data/log/karaf.log"), 40);
    }

    // ---------------------------------------------------------------- plumbing

    /** Exit code and output (stdout and stderr together, ANSI colours removed) of a finished command. */
    public record Result(int exitCode, String output) {
    }

    private static Result run(Path dir, List<String> cmd, Map<String, String> env, String input, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("karaf-process-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            OutputStream stdin = process.getOutputStream();
            try {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                    stdin.flush();
                    stdin.close();
                }
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                    return new Result(-1, "TIMED OUT after " + timeout + ": " + cmd + "\n" + read(out));
                }
            } finally {
                closeQuietly(stdin);
            }
            return new Result(process.exitValue(), read(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String read(Path file) throws IOException {
        Matcher matcher = ANSI_ESCAPE.matcher(Files.readString(file, StandardCharsets.UTF_8));
        return matcher.replaceAll("");
    }

    private static void log(String message) {
        System.out.println("[KarafProcess] " + message);
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

    private boolean sshAnswers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", sshPort), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void closeQuietly(OutputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // the process has gone; nothing to flush
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            throw new IllegalStateException("system property " + name
                    + " is not set: run the integration tests through Maven (./mvnw verify)");
        }
        return value;
    }
}
