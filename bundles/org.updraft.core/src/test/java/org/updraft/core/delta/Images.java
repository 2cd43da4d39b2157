package org.updraft.core.delta;

import java.io.ByteArrayOutputStream;
import java.util.Random;

/**
 * Firmware-like image pairs, made from a seed: code-like bytes (a skewed alphabet with repeated idioms), a
 * string table, 0xFF padding; the next version changes a share of it as a rebuild does (scattered byte edits,
 * an inserted function that shifts what follows, a removed one, a rewritten block).
 */
final class Images {

    private Images() {
    }

    record Pair(String name, byte[] old, byte[] next) {
    }

    static byte[] firmware(long seed, int size) {
        Random r = new Random(seed);
        byte[] out = new byte[size];
        int at = 0;
        byte[][] idioms = new byte[64][];
        for (int i = 0; i < idioms.length; i++) {
            idioms[i] = new byte[4 + r.nextInt(12)];
            r.nextBytes(idioms[i]);
        }
        int code = size * 7 / 10;
        while (at < code) {
            if (r.nextInt(4) == 0) {
                byte[] idiom = idioms[r.nextInt(idioms.length)];
                int n = Math.min(idiom.length, code - at);
                System.arraycopy(idiom, 0, out, at, n);
                at += n;
            } else {
                // instruction-like: few distinct high bytes, varied low bytes
                out[at++] = (byte) (r.nextInt(16) * 16 + r.nextInt(3));
                if (at < code) {
                    out[at++] = (byte) r.nextInt(256);
                }
            }
        }
        String words = "update firmware device rollout ledger manifest signature error ok retry boot slot ";
        int strings = size * 9 / 10;
        while (at < strings) {
            out[at++] = (byte) words.charAt(r.nextInt(words.length()));
        }
        while (at < size) {
            out[at++] = (byte) 0xFF;
        }
        return out;
    }

    /** {@code old} with about {@code share} of its bytes changed, as a rebuild changes them. */
    static byte[] changed(byte[] old, long seed, double share) {
        Random r = new Random(seed);
        byte[] next = old.clone();
        int edits = (int) (old.length * share / 2);
        for (int i = 0; i < edits; i++) {
            int p = r.nextInt(next.length);
            next[p] = (byte) (next[p] ^ (1 + r.nextInt(255)));
        }
        // a rewritten block
        int block = Math.max(1, (int) (old.length * share / 4));
        int from = r.nextInt(Math.max(1, next.length - block));
        for (int i = 0; i < block && from + i < next.length; i++) {
            next[from + i] = (byte) r.nextInt(256);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int insertAt = next.length / 3;
        int removeAt = next.length * 2 / 3;
        int removed = Math.max(1, (int) (old.length * share / 8));
        out.write(next, 0, insertAt);
        byte[] inserted = new byte[Math.max(1, (int) (old.length * share / 8))];
        r.nextBytes(inserted);
        out.write(inserted, 0, inserted.length);
        out.write(next, insertAt, removeAt - insertAt);
        out.write(next, Math.min(next.length, removeAt + removed), Math.max(0, next.length - removeAt - removed));
        return out.toByteArray();
    }

    static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The pairs both codecs are checked on against Debian's tools. */
    static java.util.List<Pair> pairs() throws java.io.IOException {
        byte[] firmware = firmware(21, 256 * 1024);
        byte[] large = firmware(22, 1024 * 1024);
        byte[] random = random(23, 64 * 1024);
        return java.util.List.of(
                new Pair("firmware 256 KiB, 1% changed", firmware, changed(firmware, 31, 0.01)),
                new Pair("firmware 1 MiB, 5% changed", large, changed(large, 32, 0.05)),
                new Pair("random 64 KiB, 1% changed", random, changed(random, 33, 0.01)),
                new Pair("identical", firmware, firmware),
                new Pair("unrelated", random(24, 20_000), random(25, 30_000)),
                new Pair("empty target", firmware(26, 5000), new byte[0]),
                new Pair("empty base", new byte[0], firmware(27, 5000)),
                new Pair("one byte each", new byte[] {1}, new byte[] {2}),
                // two real programs built from one source tree: what a rebuild of a product looks like
                new Pair("Debian's bsdiff to bspatch", java.nio.file.Files.readAllBytes(DebianTool.find("bsdiff",
                        "bsdiff")), java.nio.file.Files.readAllBytes(DebianTool.find("bspatch", "bsdiff"))));
    }
}
