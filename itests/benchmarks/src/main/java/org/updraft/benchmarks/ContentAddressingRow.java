package org.updraft.benchmarks;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Row 1: {@code updraft cid} as a whole process (JVM start included, as bin/updraft runs it) against Debian's
 * {@code ipfs_cid} on the same file, timed by hyperfine when it is installed; and the JDK's SHA-256 over the
 * same bytes in this process, the limit any CID computation has.
 */
final class ContentAddressingRow {

    private ContentAddressingRow() {
    }

    static List<Row> run(Path work, String cliClasspath, boolean quick) throws Exception {
        long size = (quick ? 16L : 256L) * 1024 * 1024;
        Path file = file(work, size);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> updraft = List.of(java, "-cp", cliClasspath, "org.updraft.cli.UpdraftCli", "cid", file.toString());
        List<String> ipfsCid = List.of("ipfs_cid", file.toString());

        // Both must name the same content before their speeds mean anything.
        String ours = output(updraft).trim();
        String theirs = output(ipfsCid);
        Matcher v0 = Pattern.compile("\"CIDv0\"\\s*:\\s*\"(Qm[1-9A-HJ-NP-Za-km-z]+)\"").matcher(theirs);
        if (!v0.find() || !v0.group(1).equals(ours)) {
            throw new IllegalStateException("row 1: updraft cid printed " + ours + ", ipfs_cid " + theirs.trim());
        }

        // The fixed cost of a whole process (JVM start, class loading): cid of a 6-byte file.
        Path tiny = work.resolve("hello.txt");
        Files.writeString(tiny, "hello\n");
        List<String> updraftTiny = List.of(java, "-cp", cliClasspath, "org.updraft.cli.UpdraftCli", "cid",
                tiny.toString());

        int runs = quick ? 2 : 5;
        double[] seconds = Processes.meanSeconds(work, runs, updraft, ipfsCid, updraftTiny);
        double mb = size / 1e6;
        double sha = sha256Rate(file, quick);
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("1a", "updraft cid, " + (size >> 20) + " MiB, whole process (" + Processes.timer() + ")",
                mb / seconds[0], "MB/s", "ipfs_cid, same file", mb / seconds[1], "MB/s", 2.0, "≥ 2×", false,
                String.format(Locale.ROOT,
                "of its %.2f s, %.2f s is the fixed cost of a process (cid of a 6-byte file: JVM start, class"
                + " loading); see 1b", seconds[0], seconds[2])));
        rows.add(new Row("1b", "updraft cid (as 1a)", mb / seconds[0], "MB/s", "JDK SHA-256 over the same bytes, "
                + "in memory, 1 thread", sha, "MB/s", 0.7, "≥ 0.7", false,
                String.format(Locale.ROOT, "the process's fixed cost (%.2f s of %.2f s); without it %.0f MB/s"
                        + " (%.2f of the limit). JFR: nearly all samples are SHA-256 in the JDK's Java code (SHA2.implCompress0), i.e."
                        + " before C2 compiles DigestBase.implCompressMultiBlock0 with the SHA-NI intrinsic (about 2 s"
                        + " into the process here, by -XX:+PrintCompilation): a short process hashes much of the file"
                        + " before the intrinsic is in place", seconds[2],
                        seconds[0], mb / (seconds[0] - seconds[2]), mb / (seconds[0] - seconds[2]) / sha)));
        return rows;
    }

    /** Rows 1 and 2's input: {@code size} seeded random bytes in the work directory, written once. */
    static Path file(Path work, long size) throws IOException {
        Path file = work.resolve("image-" + (size >> 20) + "MiB.bin");
        write(file, size);
        return file;
    }

    /** Seeded random bytes: incompressible, and the same file on every run. */
    private static void write(Path file, long size) throws IOException {
        if (Files.exists(file) && Files.size(file) == size) {
            return;
        }
        Random random = new Random(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                out.write(block, 0, (int) Math.min(block.length, size - written));
            }
        }
    }

    private static double sha256Rate(Path file, boolean quick) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        double[] rounds = new double[quick ? 3 : 7];
        for (int i = -2; i < rounds.length; i++) { // two warm-up passes for the intrinsic
            long start = System.nanoTime();
            sha256.update(bytes);
            sha256.digest();
            double rate = bytes.length / 1e6 / ((System.nanoTime() - start) / 1e9);
            if (i >= 0) {
                rounds[i] = rate;
            }
        }
        return Rates.median(rounds);
    }

    private static String output(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("row 1: " + String.join(" ", command) + " exited with " + p.exitValue());
        }
        return out;
    }
}
