package org.updraft.core.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Fuzz inputs: a valid seed mutated one to three times (bit flips, bytes set to CBOR's edge values, length heads set
 * to their largest value, truncation, insertion, deletion, duplication, splicing with another seed), or now and
 * then plain random bytes. Deterministic for a given {@link Random}. Shared by the decoder and endpoint fuzz runs.
 */
public final class Mutator {

    /** Bytes that sit on CBOR's edges: major-type boundaries, 1-8 byte length heads, indefinite lengths, break. */
    private static final int[] EDGES = {0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x5f, 0x60, 0x7f,
        0x80, 0x9b, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xd2, 0xdb, 0xf4, 0xf6, 0xf9, 0xfb, 0xff};

    private Mutator() {
    }

    /** The next input: one in twenty is random bytes, the others a mutated seed. */
    public static byte[] next(Random random, List<byte[]> seeds) {
        return random.nextInt(20) == 0 ? randomBytes(random)
                : mutate(random, seeds.get(random.nextInt(seeds.size())), seeds);
    }

    static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(300)];
        random.nextBytes(b);
        return b;
    }

    static byte[] mutate(Random random, byte[] seed, List<byte[]> seeds) {
        byte[] b = seed.clone();
        int rounds = 1 + random.nextInt(3);
        for (int r = 0; r < rounds; r++) {
            if (b.length == 0) {
                return randomBytes(random);
            }
            int at = random.nextInt(b.length);
            switch (random.nextInt(8)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = (byte) EDGES[random.nextInt(EDGES.length)];
            case 2 -> {
                // a length head set to a huge value: 0x1b followed by eight 0xff
                int end = Math.min(b.length, at + 9);
                b[at] = (byte) ((b[at] & 0xe0) | 0x1b);
                for (int i = at + 1; i < end; i++) {
                    b[i] = (byte) 0xff;
                }
            }
            case 3 -> b = Arrays.copyOf(b, at); // truncated
            case 4 -> {
                byte[] extra = new byte[1 + random.nextInt(16)];
                random.nextBytes(extra);
                b = splice(b, at, extra, 0);
            }
            case 5 -> b = splice(b, at, new byte[0], Math.min(b.length - at, 1 + random.nextInt(16)));
            case 6 -> {
                int len = Math.min(b.length - at, 1 + random.nextInt(32));
                b = splice(b, at, Arrays.copyOfRange(b, at, at + len), 0);
            }
            default -> {
                byte[] other = seeds.get(random.nextInt(seeds.size()));
                int from = random.nextInt(other.length);
                b = splice(b, at, Arrays.copyOfRange(other, from, other.length), b.length - at);
            }
            }
        }
        return b;
    }

    /** {@code b} with {@code removed} bytes at {@code at} replaced by {@code inserted}. */
    private static byte[] splice(byte[] b, int at, byte[] inserted, int removed) {
        byte[] out = new byte[b.length - removed + inserted.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(b, at + removed, out, at + inserted.length, b.length - at - removed);
        return out;
    }
}
