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
import java.util.Optional;
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
 * {@code bin/updraft-admin}, and reaches no Maven repository but its own {@code system/} folder: no remote
 * repository, its local repository under {@code data/}, and {@code user.home} an empty directory of its own,
 * so that neither {@code ~/.m2/repository} nor {@code ~/.m2/settings.xml} can supply a missing artifact.
 *
 * <p>When Karaf does not finish booting or stopping in time, its threads are dumped with jstack into
 * {@code target/distributions/<copy>-<moment>-threads.txt} (kept after the copy is deleted), it is killed,
 * and the failure names the dump.
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

    /**
     * A boot that writes nothing to karaf.log or the console for this long has stopped (a hang): boot takes about
     * 10 s on a quiet machine and several minutes on a crowded one, which slows it but never silences it that long.
     */
    public static final Duration START_STALL = Duration.ofSeconds(90);
    /** No boot takes longer, however busy the machine. */
    public static final Duration START_LIMIT = Duration.ofMinutes(10);
    public static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
    public static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(1);

    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path home;
    /** What {@link #close()} deletes: the copy, or the directory it was unpacked into with its top directory. */
    private final Path unpackedInto;
    private final Path userHome;
    private final int sshPort;
    private final String user = "itest";
    private final String password;
    private final Path consoleLog;
    private Process karaf;

    private KarafProcess(Path home, Path unpackedInto, Path userHome, int sshPort, String password) {
        this.home = home;
        this.unpackedInto = unpackedInto;
        this.userHome = userHome;
        this.sshPort = sshPort;
        this.password = password;
        this.consoleLog = home.resolve("console.log");
    }

    /**
     * Unpacks the distribution archive (system property {@code updraft.distribution}) into
     * {@code target/distributions/<name>-<random>} and prepares it to run next to other copies.
     */
    public static KarafProcess unpack(String name) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(distributionsDirectory(), name + "-");
        untar(dir, "--strip-components=1");
        return prepare(dir, dir);
    }

    /**
     * Unpacks the archive as a user does, {@code tar -xzf updraft-karaf-<version>.tar.gz -C <parent>}: into
     * {@code parent} (created if need be; it may contain spaces), keeping the archive's own top directory,
     * which becomes the Karaf home. {@link #close()} deletes {@code parent}.
     */
    public static KarafProcess unpackInto(Path parent) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(parent.toAbsolutePath());
        untar(dir);
        List<Path> top;
        try (Stream<Path> entries = Files.list(dir)) {
            top = entries.filter(Files::isDirectory).toList();
        }
        if (top.size() != 1) {
            throw new IllegalStateException("the archive should hold one top directory, " + dir + " holds " + top);
        }
        return prepare(top.get(0), dir);
    }

    /** {@code target/distributions}, absolute: where copies, their user homes and thread dumps go. */
    public static Path distributionsDirectory() throws IOException {
        return Files.createDirectories(Paths.get("target", "distributions").toAbsolutePath());
    }

    private static void untar(Path dir, String... options) throws IOException, InterruptedException {
        Path archive = Paths.get(requiredProperty("updraft.distribution"));
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("no distribution archive at " + archive + ": build karaf-assembly first");
        }
        // tar keeps the archive's file modes: bin/* must stay executable.
        List<String> cmd = new ArrayList<>(List.of("tar", "-xzf", archive.toString()));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-C", dir.toString()));
        Result untar = run(dir, cmd, Map.of(), null, Duration.ofMinutes(2));
        if (untar.exitCode() != 0) {
            throw new IOException("could not unpack " + archive + ": " + untar.output());
        }
    }

    private static KarafProcess prepare(Path home, Path unpackedInto) throws IOException, InterruptedException {
        // bin/karaf splits EXTRA_JAVA_OPTS on spaces, so the user home's path must have none.
        Path userHome = Files.createTempDirectory(distributionsDirectory(), "user-home-");
        if (userHome.toString().chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalStateException("the tests need a path without spaces for user.home, got " + userHome);
        }
        String password = HexFormat.of().formatHex(randomBytes(12));
        KarafProcess process = new KarafProcess(home, unpackedInto, userHome, freePort(), password);
        process.configure();
        return process;
    }

    private void configure() throws IOException, InterruptedException {
        setProperty("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(sshPort));
        setProperty("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
        // The CoAP device API on loopback and a port of its own: several distributions may run at once.
        setProperty("etc/org.updraft.transport.coap.cfg", "bind.address", "127.0.0.1");
        setProperty("etc/org.updraft.transport.coap.cfg", "port", Integer.toString(freeUdpPort()));
        setProperty("etc/org.updraft.transport.coap.cfg", "dtls.port", "0");
        // Everything the features need must be in system/: no remote repository, no ~/.m2 (user.home is an empty
        // directory, see start()), a local repository inside the copy.
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

    /** The empty directory Karaf's JVM has as {@code user.home}. */
    public Path userHome() {
        return userHome;
    }

    /** Lines of {@code data/log/karaf.log} (none before the first start; a line being written may be cut). */
    public List<String> karafLog() throws IOException {
        Path log = home.resolve("data/log/karaf.log");
        return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList() : List.of();
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
        // Java takes user.home from the password database, not from HOME: only a system property moves it.
        builder.environment().put("EXTRA_JAVA_OPTS", "-Duser.home=" + userHome);
        long begin = System.nanoTime();
        karaf = builder.start();
        int checks = awaitBootFinished(START_STALL, START_LIMIT);
        log("started in " + home.getFileName() + " in " + millisSince(begin) + " ms (ssh port " + sshPort + ", "
                + checks + " bin/client checks)");
    }

    /**
     * Waits until SSH answers and the features service has installed the boot features. Shell commands
     * are services too; a command a test needs may come a moment later ({@link #awaitCommand}). Gives up when
     * Karaf has written nothing to karaf.log or its console for {@code stall}, or after {@code limit} in all:
     * then dumps its threads, kills it and fails. Returns how many times it asked with bin/client.
     */
    public int awaitBootFinished(Duration stall, Duration limit) throws IOException, InterruptedException {
        long begin = System.nanoTime();
        long lastProgress = begin;
        long progress = progress();
        String last = "";
        int checks = 0;
        while (System.nanoTime() - begin < limit.toNanos() && System.nanoTime() - lastProgress < stall.toNanos()) {
            if (!isRunning()) {
                throw new IllegalStateException("Karaf exited with code " + karaf.exitValue()
                        + " while starting; console:\n" + consoleTail());
            }
            if (sshAnswers()) {
                checks++;
                Result result = client("service:list org.apache.karaf.features.BootFinished", Duration.ofSeconds(30));
                last = result.output();
                if (result.exitCode() == 0 && last.contains("org.apache.karaf.features.BootFinished")) {
                    return checks;
                }
            }
            Thread.sleep(500);
            long now = progress();
            if (now != progress) {
                progress = now;
                lastProgress = System.nanoTime();
            }
        }
        Path dump = dumpThreads("boot");
        kill();
        throw new IllegalStateException("Karaf in " + home + " did not finish booting: "
                + (System.nanoTime() - lastProgress >= stall.toNanos() ? "nothing logged for " + stall : "not within " + limit)
                + " (after " + millisSince(begin) + " ms); threads: " + dump + " (then killed)\n"
                + "boot threads:\n" + bootThreads(dump) + "\nlast client output:\n" + last
                + "\nconsole:\n" + consoleTail() + "\nlog:\n" + logTail());
    }

    /**
     * Lines in karaf.log and bytes in the console log so far: they grow while Karaf makes progress. The lines
     * SSH writes for this class's own bin/client sessions do not count.
     */
    private long progress() throws IOException {
        long lines = karafLog().stream().filter(line -> !line.contains("| ServerSessionImpl ")).count();
        return lines + (Files.exists(consoleLog) ? Files.size(consoleLog) : 0);
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
            Path dump = dumpThreads("stop");
            kill();
            throw new IllegalStateException("Karaf did not stop within " + STOP_TIMEOUT + " of bin/stop ("
                    + stop.output() + "); threads: " + dump + "; killed it. Console:\n" + consoleTail());
        }
        log("stopped in " + millisSince(begin) + " ms");
    }

    /**
     * Sends SIGTERM to Karaf's JVM, as a service manager stopping it does, and waits for it and bin/karaf to
     * end. Fails, after dumping its threads and killing it, when it is still there after {@link #STOP_TIMEOUT}.
     */
    public void terminate() throws IOException, InterruptedException {
        if (!isRunning()) {
            return;
        }
        long begin = System.nanoTime();
        ProcessHandle jvm = karafJvm().orElseThrow(() -> new IllegalStateException(
                "bin/karaf runs in " + home + " but no Karaf JVM under it"));
        jvm.destroy();
        if (!karaf.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            Path dump = dumpThreads("sigterm");
            kill();
            throw new IllegalStateException("Karaf did not end within " + STOP_TIMEOUT + " of SIGTERM; threads: "
                    + dump + "; killed it. Console:\n" + consoleTail());
        }
        log("terminated in " + millisSince(begin) + " ms");
    }

    /** The JVM bin/karaf started for this copy (the script runs it as a child, to restart it when asked). */
    public Optional<ProcessHandle> karafJvm() {
        if (karaf == null) {
            return Optional.empty();
        }
        return karaf.descendants()
                .filter(p -> p.info().commandLine().map(line -> line.contains("org.apache.karaf.main.Main")).orElse(false))
                .findFirst();
    }

    /**
     * Writes the threads of Karaf's JVM to {@code target/distributions/<copy>-<moment>-threads.txt} with jstack;
     * when jstack cannot attach, sends SIGQUIT (the JVM prints them to console.log) and copies the console's end.
     * Returns the file.
     */
    public Path dumpThreads(String moment) throws IOException, InterruptedException {
        Path file = distributionsDirectory().resolve(home.getFileName() + "-" + moment + "-threads.txt");
        Optional<ProcessHandle> jvm = karafJvm();
        if (jvm.isEmpty()) {
            Files.writeString(file, "no Karaf JVM running from " + home + "\n");
            return file;
        }
        long pid = jvm.get().pid();
        Path jstack = Paths.get(System.getProperty("java.home"), "bin", "jstack");
        Result dump = Files.isExecutable(jstack)
                ? run(home, List.of(jstack.toString(), "-l", Long.toString(pid)), Map.of(), null, Duration.ofSeconds(60))
                : new Result(-1, "no " + jstack);
        if (dump.exitCode() == 0) {
            Files.writeString(file, dump.output());
        } else {
            run(home, List.of("kill", "-QUIT", Long.toString(pid)), Map.of(), null, Duration.ofSeconds(10));
            Thread.sleep(2000);
            Files.writeString(file, "jstack failed (" + dump.output() + "); SIGQUIT's dump from console.log:\n"
                    + tail(consoleLog, 2000));
        }
        log("threads of Karaf (pid " + pid + ") in " + file);
        return file;
    }

    /** Threads that take part in a boot (see {@link #bootThreads}), by name. */
    private static final Pattern BOOT_THREAD = Pattern.compile(
            "^\"(FelixStartLevel|FelixFrameworkWiring|features-\\d+-thread-\\d+|fileinstall-.*|CM Configuration Updater"
                    + "|CM Event Dispatcher|SCR Component Actor|SCR Component Registry|FelixDispatchQueue)\"");
    private static final int FRAMES_PER_THREAD = 14;
    private static final int MAX_DIGEST = 12_000;

    /**
     * The stacks, cut short, of the threads a boot runs on (start level, features installer, wiring, file install,
     * configuration admin, SCR) and of every BLOCKED thread in a jstack dump: enough for a test failure's message to
     * say where a boot stopped when the dump file itself is gone (a CI machine keeps only the test's output).
     */
    static String bootThreads(Path dump) {
        List<String> lines;
        try {
            lines = Files.readAllLines(dump, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + dump + ": " + e.getMessage() + ")";
        }
        StringBuilder digest = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String header = lines.get(i);
            if (!header.startsWith("\"")) {
                continue;
            }
            boolean blocked = i + 1 < lines.size() && lines.get(i + 1).contains("BLOCKED");
            if (!blocked && !BOOT_THREAD.matcher(header).find()) {
                continue;
            }
            if (digest.length() > MAX_DIGEST) {
                digest.append("(more in ").append(dump).append(")\n");
                break;
            }
            digest.append(header, 0, Math.min(header.length(), 120)).append('\n');
            for (int j = i + 1; j < lines.size() && j <= i + 1 + FRAMES_PER_THREAD && !lines.get(j).isBlank(); j++) {
                digest.append(lines.get(j)).append('\n');
            }
        }
        return digest.length() == 0 ? "(none found in " + dump + ")" : digest.toString();
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
                deleteTree(unpackedInto);
                deleteTree(userHome);
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
