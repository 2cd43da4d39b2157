package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's delta tools, the independent implementations our codecs must interoperate with: {@code bsdiff} and
 * {@code bspatch} (package bsdiff 4.3) and {@code xdelta3} (package xdelta3 3.0.11). {@code .ci/setup} installs
 * them; a missing tool fails the test, naming the package.
 */
final class DebianTool {

    private DebianTool() {
    }

    static Path find(String binary, String packageName) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin";
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, binary))) {
                return Path.of(d, binary);
            }
        }
        return fail(binary + " is not installed, so patches cannot be checked against Debian's implementation: "
                + "run .ci/setup (apt-get install -y " + packageName + ")");
    }

    /** Runs the tool and returns its exit status; stdout and stderr go to {@code log}. */
    static int run(Path log, String binary, String packageName, String... args) throws IOException,
            InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(find(binary, packageName).toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 120 s");
        }
        return p.exitValue();
    }

    /** Runs the tool and fails the test unless it exits 0. */
    static void ok(Path dir, String binary, String packageName, String... args) throws IOException,
            InterruptedException {
        Path log = dir.resolve(binary + ".log");
        int status = run(log, binary, packageName, args);
        assertEquals(0, status, () -> binary + " " + String.join(" ", args) + " failed: " + read(log));
    }

    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    static void bsdiff(Path dir, Path old, Path next, Path patch) throws Exception {
        ok(dir, "bsdiff", "bsdiff", old.toString(), next.toString(), patch.toString());
    }

    static void bspatch(Path dir, Path old, Path next, Path patch) throws Exception {
        ok(dir, "bspatch", "bsdiff", old.toString(), next.toString(), patch.toString());
    }

    /** {@code xdelta3 -e -f} with extra flags, then {@code -s OLD NEW PATCH}. */
    static void xdelta3Encode(Path dir, Path old, Path next, Path patch, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("-e", "-f"));
        args.addAll(List.of(flags));
        args.addAll(List.of("-s", old.toString(), next.toString(), patch.toString()));
        ok(dir, "xdelta3", "xdelta3", args.toArray(String[]::new));
    }

    static void xdelta3Decode(Path dir, Path old, Path patch, Path next) throws Exception {
        ok(dir, "xdelta3", "xdelta3", "-d", "-f", "-s", old.toString(), patch.toString(), next.toString());
    }
}
