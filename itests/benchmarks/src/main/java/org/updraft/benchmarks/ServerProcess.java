package org.updraft.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link FleetServer} (or row 12's {@link FleetSlice}) in its own JVM with its own heap limit, driven line by line.
 * Its log goes to a file in the work directory. With the environment variable UPDRAFT_BENCH_JFR set to a directory,
 * the JVM records a JFR profile there (for finding what bounds rows 3, 5 and 12).
 */
final class ServerProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;
    final String[] ready;

    ServerProcess(Path work, String name, String heap, String... args) throws Exception {
        this(work, name, List.of("-Xmx" + heap, "-Xms" + heap), FleetServer.class, args);
    }

    /** {@code main} with these JVM options (heap, stack size) and arguments. */
    ServerProcess(Path work, String name, List<String> jvmOptions, Class<?> main, String... args) throws Exception {
        this.name = name;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        String jfr = System.getenv("UPDRAFT_BENCH_JFR");
        if (jfr != null && !jfr.isBlank()) {
            command.add("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(jfr, name + ".jfr"));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectError(work.resolve(name + ".log").toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        String line = reply();
        if (line == null || !line.startsWith("READY ")) {
            process.destroyForcibly();
            throw new IllegalStateException("the " + name + " process did not start (see " + work.resolve(name + ".log")
                    + "): " + line);
        }
        ready = line.substring(6).split(" ");
    }

    int port() {
        return Integer.parseInt(ready[0]);
    }

    /** Sends one command and returns the words of its one-line answer, after the answer's keyword. */
    String[] ask(String command, String expected) throws Exception {
        send(command);
        return await(command, expected);
    }

    /** Sends one command without waiting: several processes can then work on theirs at once. */
    void send(String command) {
        in.println(command);
    }

    /** The words of the answer to {@code command}, sent before, after the answer's keyword. */
    String[] await(String command, String expected) throws Exception {
        String line = reply();
        if (line == null || !line.startsWith(expected + " ")) {
            throw new IllegalStateException(name + " answered '" + command + "' with: " + line);
        }
        return line.substring(expected.length() + 1).split(" ");
    }

    /** The next line of the protocol; the JVM's own messages on standard output (JFR's, "[...]") are skipped. */
    private String reply() throws Exception {
        String line = out.readLine();
        while (line != null && line.startsWith("[")) {
            line = out.readLine();
        }
        return line;
    }

    @Override
    public void close() throws Exception {
        in.println("STOP");
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
