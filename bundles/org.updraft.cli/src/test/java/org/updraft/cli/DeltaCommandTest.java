package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code updraft delta create|apply} against Debian's tools on the shared fixture (bsdiff/bspatch, xdelta3), its
 * refusals (exit 1 with the reason's code) and its bad usage (exit 2), with nothing left half written.
 */
class DeltaCommandTest {

    private static Path dir;
    private static Path fixtures;

    @BeforeAll
    static void directories() throws Exception {
        Path parent = Path.of("target", "delta-work");
        Files.createDirectories(parent);
        dir = Files.createTempDirectory(parent, "cli-").toAbsolutePath();
        Path root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        fixtures = root.resolve("../shared/fixtures/delta").normalize();
    }

    private static String at(String name) {
        return dir.resolve(name).toString();
    }

    private static String fixture(String name) {
        return fixtures.resolve(name).toString();
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bsdiff", "vcdiff"})
    void createsPatchesDebiansToolsApplyAndAppliesTheirs(String codec) throws Exception {
        String patch = at("ours." + codec);
        String created = Cli.run("delta", "create", "--codec", codec, "--from", fixture("old.bin"), "--to",
                fixture("new.bin"), "--out", patch, "--force").ok();
        assertTrue(created.startsWith(codec + " patch "), created);
        assertTrue(created.contains("bytes of working memory to apply"), created);

        Path rebuilt = dir.resolve("rebuilt-by-debian-" + codec);
        if (codec.equals("bsdiff")) {
            tool("bspatch", "bsdiff", fixture("old.bin"), rebuilt.toString(), patch);
        } else {
            tool("xdelta3", "xdelta3", "-d", "-f", "-s", fixture("old.bin"), patch, rebuilt.toString());
        }
        assertEquals(sha256(fixtures.resolve("new.bin")), sha256(rebuilt), "Debian's tool applied our patch");

        String theirs = fixture(codec.equals("bsdiff") ? "new.bsdiff" : "new.xdelta3");
        String out = at("rebuilt-by-us-" + codec);
        String applied = Cli.run("delta", "apply", "--codec", codec, "--from", fixture("old.bin"), "--patch", theirs,
                "--out", out, "--size", "67584", "--force").ok();
        assertTrue(applied.contains("sha256   " + sha256(fixtures.resolve("new.bin"))), applied);
        assertArrayEquals(Files.readAllBytes(fixtures.resolve("new.bin")), Files.readAllBytes(Path.of(out)));
    }

    @Test
    void aTightMemoryBudgetMakesAPatchThatNeedsNoMore() throws Exception {
        String patch = at("tight.vcdiff");
        String created = Cli.run("delta", "create", "--codec", "vcdiff", "--from", fixture("old.bin"), "--to",
                fixture("new.bin"), "--out", patch, "--memory", "64K", "--force").ok();
        long memory = Long.parseLong(created.replaceAll("(?s).*memory\\s+(\\d+) bytes.*", "$1"));
        assertTrue(memory <= 64 * 1024, created);
        Cli.run("delta", "apply", "--codec", "vcdiff", "--from", fixture("old.bin"), "--patch", patch, "--out",
                at("tight.bin"), "--memory", "64K", "--force").ok();
        Cli.Result refused = Cli.run("delta", "apply", "--codec", "vcdiff", "--from", fixture("old.bin"), "--patch",
                patch, "--out", at("tight-refused.bin"), "--memory", "32K");
        refused.rejected("memory");
        assertFalse(Files.exists(dir.resolve("tight-refused.bin")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bsdiff", "vcdiff"})
    void refusedPatchesExitWithTheirReasonAndLeaveNothing(String codec) throws Exception {
        Path garbage = dir.resolve("garbage-" + codec);
        byte[] random = new byte[3000];
        new Random(3).nextBytes(random);
        Files.write(garbage, random);
        String theirs = fixture(codec.equals("bsdiff") ? "new.bsdiff" : "new.xdelta3");
        byte[] patch = Files.readAllBytes(Path.of(theirs));
        Path truncated = dir.resolve("truncated-" + codec);
        Files.write(truncated, java.util.Arrays.copyOf(patch, patch.length - 100));

        List<String[]> cases = List.of(
                new String[] {"malformed", garbage.toString(), "67584"},
                new String[] {"truncated", truncated.toString(), "67584"},
                new String[] {"too-large", theirs, "1000"},
                new String[] {"too-short", theirs, "100000"});
        for (String[] c : cases) {
            String out = at("refused-" + codec + "-" + c[0]);
            Cli.run("delta", "apply", "--codec", codec, "--from", fixture("old.bin"), "--patch", c[1], "--out", out,
                    "--size", c[2]).rejected(c[0]);
            assertFalse(Files.exists(Path.of(out)), "no " + out);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void badUsageExitsWith2AndOneLine() throws Exception {
        String old = fixture("old.bin");
        String next = fixture("new.bin");
        Files.write(dir.resolve("exists"), new byte[] {1});
        assertTrue(Cli.run("delta", "create", "--codec", "xdelta", "--from", old, "--to", next, "--out", at("p"))
                .usageError().contains("no codec 'xdelta' (codecs: bsdiff, vcdiff)"));
        assertTrue(Cli.run("delta", "make", "--codec", "bsdiff").usageError().contains("create or apply"));
        assertTrue(Cli.run("delta", "--codec", "bsdiff").usageError().contains("needs create or apply"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--to", next, "--out", at("p")).usageError()
                .contains("needs --from"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--from", old, "--to", next, "--out", at("p"),
                "--patch", old).usageError().contains("takes no --patch"));
        assertTrue(Cli.run("delta", "apply", "--codec", "bsdiff", "--from", old, "--to", next, "--patch", old,
                "--out", at("p")).usageError().contains("takes no --to"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--from", at("missing"), "--to", next, "--out",
                at("p")).usageError().contains("does not exist"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--from", old, "--to", next, "--out",
                at("exists")).usageError().contains("already exists"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--from", old, "--to", next, "--out", at("p"),
                "--memory", "lots").usageError().contains("number of bytes"));
        assertTrue(Cli.run("delta", "create", "--codec", "bsdiff", "--from", old, "--to", next, "--out", at("p"),
                "--memory", "100K").usageError().contains("need at least"));
        assertFalse(Files.exists(dir.resolve("p")));
        assertTrue(Cli.run("delta", "--help").ok().startsWith("usage: updraft delta create"));
        assertTrue(Cli.run("help").ok().contains("delta"));
    }

    private static void tool(String binary, String packageName, String... args) throws Exception {
        Path found = null;
        for (String d : (System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin")
                .split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, binary))) {
                found = Path.of(d, binary);
                break;
            }
        }
        if (found == null) {
            fail(binary + " is not installed: run .ci/setup (apt-get install -y " + packageName + ")");
        }
        List<String> command = new ArrayList<>(List.of(found.toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve(binary + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertEquals(0, p.waitFor(), () -> String.join(" ", command) + ": " + readQuietly(log));
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.getMessage();
        }
    }
}
