package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -cp … org.updraft.cli.UpdraftCli}, as bin/updraft runs it: exit codes and streams end to end. */
class ProcessTest {

    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    private static Run java(String... args) throws Exception {
        // surefire puts the real test class path here; java.class.path may be its manifest-only jar
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, UpdraftCli.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "updraft did not finish");
        return new Run(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void exitCodesAndStreams() throws Exception {
        Path key = dir.resolve("k.pem");
        Path firmware = SeededFile.write(dir.resolve("fw.bin"), 5, 300_000);
        Path manifest = dir.resolve("fw.manifest");

        Run keygen = java("keygen", "--out", key.toString(), "--alg", "p256");
        assertEquals(0, keygen.status(), keygen.err());
        assertTrue(keygen.out().startsWith("did:key:zDn"), keygen.out());
        assertEquals("", keygen.err());

        Run sign = java("sign", "--key", key.toString(), "--firmware", firmware.toString(), "--vendor", "acme",
                "--class", "thermo-v2", "--version", "1.0.0", "--sequence", "3", "--out", manifest.toString());
        assertEquals(0, sign.status(), sign.err());
        assertEquals("", sign.err());

        Run valid = java("verify", "--manifest", manifest.toString(), "--firmware", firmware.toString(), "--trust",
                key + ".pub");
        assertEquals(0, valid.status(), valid.err());
        assertTrue(valid.out().startsWith("valid: acme/thermo-v2/3 "), valid.out());
        assertEquals("", valid.err());

        Run rejected = java("verify", "--manifest", manifest.toString(), "--firmware", firmware.toString(),
                "--trust", key + ".pub", "--installed-sequence", "3");
        assertEquals(1, rejected.status());
        assertEquals("", rejected.out());
        assertTrue(rejected.err().startsWith("updraft: rejected (sequence-not-newer): "), rejected.err());
        assertEquals(1, rejected.err().lines().count());

        Run bad = java("verify", "--manifest", firmware.toString(), "--firmware", firmware.toString(), "--trust",
                key + ".pub");
        assertEquals(2, bad.status());
        assertEquals("", bad.out());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertFalse(bad.err().contains("Exception"), bad.err());

        Run cid = java("cid", firmware.toString());
        assertEquals(0, cid.status(), cid.err());
        assertEquals(IpfsCid.of(firmware).v0() + "\n", cid.out());
    }
}
