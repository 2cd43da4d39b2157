package org.updraft.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.core.delta.BsdiffCodec;
import org.updraft.core.delta.Deltas;
import org.updraft.core.delta.VcdiffCodec;

/**
 * Row 9: the delta codecs against the standard tools they interoperate with, on the same pairs of images:
 * Debian's {@code bsdiff}/{@code bspatch} for bsdiff, {@code xdelta3} for VCDIFF.
 *
 * <p>Two pairs: the shared fixture pair ({@code ../shared/fixtures/delta}: 300 scattered byte changes and a 2 KiB
 * insertion in 64 KiB) and a generated pair (seeded random bytes with 1% of them changed: scattered single bytes
 * and one inserted run, as a rebuilt firmware shifts its code). Patch size is shown as how many times smaller than
 * the target image the patch is (higher is better), so that the ratio ours ÷ theirs at or above 1 says our patch
 * is no larger. Apply speed is target bytes written per second: ours in this process, from memory to a sink that
 * discards (no digest, as the tool checks none), against the tool as a whole process applying the same patch
 * (its own), timed by {@link Processes}, with the tool's start measured apart on a 16-byte pair. Before anything is timed each tool's patch is applied by the other side
 * and must give the target image byte for byte.
 *
 * <p>xdelta3 runs in the subset both sides support: {@code -S none} (no secondary compression), {@code -A} (no
 * application header); its window checksum is kept (ours writes it too).
 */
final class DeltaRow {

    private static final Path FIXTURES = Path.of("..", "shared", "fixtures", "delta");

    private DeltaRow() {
    }

    static List<Row> run(Path work, Path repositoryRoot, boolean quick) throws Exception {
        Path dir = Files.createDirectories(work.resolve("delta"));
        Pair fixture = fixture(repositoryRoot);
        Pair generated = generated(dir, quick ? 1 << 20 : 8 << 20);

        Codec bsdiff = new Codec("9", "bsdiff", new BsdiffCodec(), "Debian bsdiff", "Debian bspatch",
                (from, to, patch) -> List.of("bsdiff", from.toString(), to.toString(), patch.toString()),
                (from, patch, out) -> List.of("bspatch", from.toString(), out.toString(), patch.toString()));
        Codec vcdiff = new Codec("10", "vcdiff", new VcdiffCodec(), "xdelta3 -S none -A", "xdelta3 -d",
                (from, to, patch) -> List.of("xdelta3", "-e", "-f", "-S", "none", "-A", "-s", from.toString(),
                        to.toString(), patch.toString()),
                (from, patch, out) -> List.of("xdelta3", "-d", "-f", "-s", from.toString(), patch.toString(),
                        out.toString()));
        List<Row> rows = new ArrayList<>();
        for (Codec codec : List.of(bsdiff, vcdiff)) {
            rows.add(sizeRow(codec.row + "a", codec, sizes(dir, codec, fixture)));
            Sizes onGenerated = sizes(dir, codec, generated);
            rows.add(sizeRow(codec.row + "b", codec, onGenerated));
            rows.add(applySpeed(codec.row + "c", dir, codec, onGenerated, quick));
        }
        return rows;
    }

    private static Row sizeRow(String id, Codec codec, Sizes s) {
        return new Row(id, codec.name + " patch size, " + s.pair.name, s.targetSize / (double) s.ours,
                "× smaller than the image", codec.createTool + ", same pair", s.targetSize / (double) s.theirs,
                "× smaller", 1.0, "≤ 1.0× their size", false,
                String.format(Locale.ROOT, "%,d bytes against %,d (%.2f%% and %.2f%% of the %,d-byte image); each "
                        + "side's patch applied by the other gives the image", s.ours, s.theirs,
                        100.0 * s.ours / s.targetSize, 100.0 * s.theirs / s.targetSize, s.targetSize));
    }

    /** How a tool is called. */
    @FunctionalInterface
    interface Command {
        List<String> of(Path from, Path second, Path third);
    }

    /** A codec of ours, the tools it is measured against, and the benchmark's row number. */
    private record Codec(String row, String name, DeltaCodec ours, String createTool, String applyTool,
            Command create, Command apply) {
    }

    /** Two images, the one devices run and the next; rows 9 to 11 measure on the same ones. */
    record Pair(String name, Path from, Path to) {
    }

    /** The shared fixture pair: 300 scattered byte changes and a 2 KiB insertion in 64 KiB. */
    static Pair fixture(Path repositoryRoot) throws IOException {
        Path fixtures = repositoryRoot.resolve(FIXTURES).normalize();
        if (!Files.isRegularFile(fixtures.resolve("old.bin")) || !Files.isRegularFile(fixtures.resolve("new.bin"))) {
            throw new IllegalStateException("the shared delta fixtures (old.bin, new.bin) are not at " + fixtures);
        }
        return new Pair("fixture pair (" + size(fixtures.resolve("new.bin")) + ")", fixtures.resolve("old.bin"),
                fixtures.resolve("new.bin"));
    }

    private record Sizes(Pair pair, long targetSize, long ours, long theirs, Path theirPatch) {
    }

    /** Both patches of a pair, each checked by applying it with the other side. */
    private static Sizes sizes(Path dir, Codec codec, Pair pair) throws Exception {
        byte[] from = Files.readAllBytes(pair.from);
        byte[] to = Files.readAllBytes(pair.to);
        String stem = codec.name + "-" + pair.to.getFileName();
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        codec.ours.create(Deltas.channel(from), Deltas.channel(to), ours, Long.MAX_VALUE);
        Path ourPatch = Files.write(dir.resolve(stem + ".ours"), ours.toByteArray());
        Path theirPatch = dir.resolve(stem + ".theirs");
        run(codec.create.of(pair.from, pair.to, theirPatch));

        Path rebuilt = dir.resolve(stem + ".rebuilt");
        Files.deleteIfExists(rebuilt);
        run(codec.apply.of(pair.from, ourPatch, rebuilt));
        if (!Arrays.equals(Files.readAllBytes(rebuilt), to)) {
            throw new IllegalStateException("row 9: " + codec.applyTool + " does not rebuild " + pair.to + " from our "
                    + codec.name + " patch");
        }
        ByteArrayOutputStream mine = new ByteArrayOutputStream();
        codec.ours.apply(Deltas.channel(from), Deltas.channel(Files.readAllBytes(theirPatch)), mine, to.length,
                Long.MAX_VALUE);
        if (!Arrays.equals(mine.toByteArray(), to)) {
            throw new IllegalStateException("row 9: our " + codec.name + " does not rebuild " + pair.to + " from "
                    + codec.createTool + "'s patch");
        }
        return new Sizes(pair, to.length, ours.size(), Files.size(theirPatch), theirPatch);
    }

    /** Target bytes per second applying the tool's own patch of the generated pair, ours against the tool. */
    private static Row applySpeed(String id, Path dir, Codec codec, Sizes s, boolean quick) throws Exception {
        byte[] from = Files.readAllBytes(s.pair.from);
        byte[] patch = Files.readAllBytes(s.theirPatch);
        long size = s.targetSize;
        CountingSink sink = new CountingSink();
        Rates.Operation apply = () -> {
            sink.count = 0;
            codec.ours.apply(Deltas.channel(from), Deltas.channel(patch), sink, size, Long.MAX_VALUE);
            if (sink.count != size) {
                throw new IllegalStateException("row 9: our " + codec.name + " wrote " + sink.count + " of " + size);
            }
            return 1;
        };
        double seconds = quick ? 0.3 : 2;
        Rates.rate(apply, seconds); // warm-up
        double[] rounds = new double[quick ? 1 : 5];
        for (int i = 0; i < rounds.length; i++) {
            rounds[i] = Rates.rate(apply, seconds);
        }
        double ours = Rates.median(rounds) * size / 1e6;
        Path out = dir.resolve(codec.name + "-apply.out");
        // the fixed cost of the tool's process: the same tool applying its patch of a 16-byte pair
        Path tinyFrom = Files.write(dir.resolve("tiny.old"), "0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        Path tinyTo = Files.write(dir.resolve("tiny.new"), "0123456789abcdeF".getBytes(StandardCharsets.US_ASCII));
        Path tinyPatch = dir.resolve(codec.name + "-tiny.patch");
        run(codec.create.of(tinyFrom, tinyTo, tinyPatch));
        double[] toolTimes = Processes.meanSeconds(dir, quick ? 3 : 10,
                codec.apply.of(s.pair.from, s.theirPatch, out), codec.apply.of(tinyFrom, tinyPatch,
                        dir.resolve(codec.name + "-tiny.out")));
        double toolSeconds = toolTimes[0];
        double theirs = size / 1e6 / toolSeconds;
        return new Row(id, codec.name + " apply speed, " + s.pair.name + ", " + codec.createTool + "'s patch", ours,
                "MB/s", codec.applyTool + ", same patch, whole process (" + Processes.timer() + ")", theirs, "MB/s",
                1.0, "≥ 1.0×", false,
                String.format(Locale.ROOT, "ours in this process from memory (%.1f ms an image), the tool as a "
                        + "process (%.1f ms), reading the base and writing the image through the page cache; of "
                        + "that, %.1f ms is its start (the same for a 16-byte image): without it %.0f MB/s, ours %.2f× "
                        + "that", size / 1e3 / ours, toolSeconds * 1e3, toolTimes[1] * 1e3,
                        size / 1e6 / (toolSeconds - toolTimes[1]), ours / (size / 1e6 / (toolSeconds - toolTimes[1]))));
    }

    /**
     * A pair of {@code size} bytes: seeded random bytes, then 1% of them changed, half as scattered single bytes and
     * half as one run inserted at a third of the image (the code after it moves, as in a rebuilt firmware).
     */
    static Pair generated(Path dir, int size) throws IOException {
        Path from = dir.resolve("generated-" + (size >> 10) + "KiB.old");
        Path to = dir.resolve("generated-" + (size >> 10) + "KiB.new");
        Random random = new Random(9);
        byte[] old = new byte[size];
        random.nextBytes(old);
        byte[] changed = old.clone();
        for (int i = 0; i < size / 200; i++) {
            int at = random.nextInt(size);
            changed[at] = (byte) ~changed[at];
        }
        byte[] inserted = new byte[size / 200];
        random.nextBytes(inserted);
        int cut = size / 3;
        byte[] next = new byte[size + inserted.length];
        System.arraycopy(changed, 0, next, 0, cut);
        System.arraycopy(inserted, 0, next, cut, inserted.length);
        System.arraycopy(changed, cut, next, cut + inserted.length, size - cut);
        Files.write(from, old);
        Files.write(to, next);
        return new Pair("generated pair (" + size(to) + ", 1% changed)", from, to);
    }

    private static String size(Path file) throws IOException {
        long bytes = Files.size(file);
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("row 9: " + String.join(" ", command) + " exited with " + p.exitValue()
                    + ": " + output.strip());
        }
    }

    /** Counts what is written and keeps nothing. */
    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
