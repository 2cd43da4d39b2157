package org.updraft.core.delta;

import java.util.Arrays;

/**
 * Compresses bytes to one bzip2 stream, as libbzip2 1.0 cuts and codes it (the same blocks, transforms and table
 * layout), then spends a little more effort on the Huffman tables: several table counts and refinement passes
 * are tried for each block and the smallest coding is kept, so a stream is never larger than libbzip2's for
 * the same level. In memory: this runs where patches are made, not on devices.
 */
final class Bzip2Encoder {

    private static final int GROUP_SIZE = 50;
    private static final int MAX_GROUPS = 6;
    private static final int MAX_CODE_LENGTH = 17;
    private static final int RUNA = 0;
    private static final int RUNB = 1;

    private Bzip2Encoder() {
    }

    /** The bytes bzip2's first run-length step makes of {@code data}: how long its blocks' input is. */
    static long runLengthEncodedSize(byte[] data, int len) {
        long size = 0;
        int i = 0;
        while (i < len) {
            int run = run(data, i, len);
            size += run < 4 ? run : 5;
            i += run;
        }
        return size;
    }

    /** The smallest level whose blocks hold {@code data} in one block (9 when none does). */
    static int smallestSingleBlockLevel(byte[] data, int len) {
        long size = runLengthEncodedSize(data, len);
        for (int level = 1; level < 9; level++) {
            if (size < blockCapacity(level)) {
                return level;
            }
        }
        return 9;
    }

    private static int blockCapacity(int level) {
        // libbzip2 closes a block once it holds this much; a last run may add up to 5 bytes
        return 100_000 * level - 19;
    }

    private static int run(byte[] data, int i, int len) {
        int b = data[i];
        int j = i + 1;
        while (j < len && j - i < 255 && data[j] == b) {
            j++;
        }
        return j - i;
    }

    /** One bzip2 stream holding {@code data[0, len)}, with blocks of up to 100000 × {@code level} bytes. */
    static byte[] compress(byte[] data, int len, int level) {
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("bzip2 level is 1 to 9, not " + level);
        }
        BitWriter out = new BitWriter();
        out.write(8, 'B');
        out.write(8, 'Z');
        out.write(8, 'h');
        out.write(8, '0' + level);
        int capacity = blockCapacity(level);
        byte[] block = new byte[capacity + 5];
        int combined = 0;
        int i = 0;
        while (i < len) {
            int n = 0;
            int crc = -1;
            while (i < len && n < capacity) {
                int run = run(data, i, len);
                int b = data[i] & 0xff;
                crc = Bzip2Crc.repeat(crc, b, run);
                int literal = Math.min(run, 4);
                for (int k = 0; k < literal; k++) {
                    block[n++] = (byte) b;
                }
                if (run >= 4) {
                    block[n++] = (byte) (run - 4);
                }
                i += run;
            }
            crc = ~crc;
            combined = Bzip2Crc.combine(combined, crc);
            writeBlock(out, block, n, crc);
        }
        out.write48(0x177245385090L);
        out.write(32, combined);
        return out.finish();
    }

    private static void writeBlock(BitWriter out, byte[] block, int n, int crc) {
        int[] rotations = SuffixSort.rotations(block, n);
        int origin = -1;
        byte[] last = new byte[n];
        for (int s = 0; s < n; s++) {
            int p = rotations[s];
            if (p == 0) {
                origin = s;
            }
            last[s] = block[p == 0 ? n - 1 : p - 1];
        }
        boolean[] inUse = new boolean[256];
        for (int s = 0; s < n; s++) {
            inUse[last[s] & 0xff] = true;
        }
        int[] unseqToSeq = new int[256];
        int nInUse = 0;
        for (int v = 0; v < 256; v++) {
            if (inUse[v]) {
                unseqToSeq[v] = nInUse++;
            }
        }
        int alphaSize = nInUse + 2;
        int[] symbols = new int[n + 1];
        int count = moveToFront(last, n, unseqToSeq, nInUse, symbols);

        out.write48(0x314159265359L);
        out.write(32, crc);
        out.write(1, 0);
        out.write(24, origin);
        int used16 = 0;
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
                if (inUse[i * 16 + j]) {
                    used16 |= 0x8000 >>> i;
                }
            }
        }
        out.write(16, used16);
        for (int i = 0; i < 16; i++) {
            if ((used16 & (0x8000 >>> i)) != 0) {
                int word = 0;
                for (int j = 0; j < 16; j++) {
                    if (inUse[i * 16 + j]) {
                        word |= 0x8000 >>> j;
                    }
                }
                out.write(16, word);
            }
        }
        Coding coding = bestCoding(symbols, count, alphaSize);
        coding.write(out, symbols, count, alphaSize);
    }

    /** Move-to-front, zero runs as RUNA/RUNB digits, end-of-block last. Returns the number of symbols. */
    private static int moveToFront(byte[] last, int n, int[] unseqToSeq, int nInUse, int[] symbols) {
        byte[] order = new byte[256];
        for (int i = 0; i < nInUse; i++) {
            order[i] = (byte) i;
        }
        int w = 0;
        int zeros = 0;
        for (int s = 0; s < n; s++) {
            int v = unseqToSeq[last[s] & 0xff];
            if ((order[0] & 0xff) == v) {
                zeros++;
                continue;
            }
            w = flushZeros(symbols, w, zeros);
            zeros = 0;
            int j = 1;
            while ((order[j] & 0xff) != v) {
                j++;
            }
            System.arraycopy(order, 0, order, 1, j);
            order[0] = (byte) v;
            symbols[w++] = j + 1;
        }
        w = flushZeros(symbols, w, zeros);
        symbols[w++] = nInUse + 1;
        return w;
    }

    /** A run of {@code zeros} in bijective base 2, least significant digit first. */
    private static int flushZeros(int[] symbols, int w, int zeros) {
        if (zeros == 0) {
            return w;
        }
        int z = zeros - 1;
        while (true) {
            symbols[w++] = (z & 1) != 0 ? RUNB : RUNA;
            if (z < 2) {
                return w;
            }
            z = (z - 2) >>> 1;
        }
    }

    /** Tables, selectors and their cost in bits. */
    private record Coding(int groups, byte[][] lengths, byte[] selectors, int selectorCount, long bits) {

        void write(BitWriter out, int[] symbols, int count, int alphaSize) {
            out.write(3, groups);
            out.write(15, selectorCount);
            byte[] order = new byte[groups];
            for (int g = 0; g < groups; g++) {
                order[g] = (byte) g;
            }
            for (int i = 0; i < selectorCount; i++) {
                int v = selectors[i];
                int j = 0;
                while (order[j] != v) {
                    j++;
                }
                System.arraycopy(order, 0, order, 1, j);
                order[0] = (byte) v;
                for (int k = 0; k < j; k++) {
                    out.write(1, 1);
                }
                out.write(1, 0);
            }
            for (int t = 0; t < groups; t++) {
                int current = lengths[t][0];
                out.write(5, current);
                for (int i = 0; i < alphaSize; i++) {
                    while (current < lengths[t][i]) {
                        out.write(2, 2);
                        current++;
                    }
                    while (current > lengths[t][i]) {
                        out.write(2, 3);
                        current--;
                    }
                    out.write(1, 0);
                }
            }
            int[][] codes = new int[groups][];
            for (int t = 0; t < groups; t++) {
                codes[t] = canonicalCodes(lengths[t], alphaSize);
            }
            for (int g = 0, i = 0; i < count; g++) {
                int t = selectors[g];
                for (int end = Math.min(i + GROUP_SIZE, count); i < end; i++) {
                    int s = symbols[i];
                    out.write(lengths[t][s], codes[t][s]);
                }
            }
        }
    }

    private static int[] canonicalCodes(byte[] lengths, int alphaSize) {
        int[] codes = new int[alphaSize];
        int code = 0;
        for (int l = 1; l <= 20; l++) {
            for (int s = 0; s < alphaSize; s++) {
                if (lengths[s] == l) {
                    codes[s] = code++;
                }
            }
            code <<= 1;
        }
        return codes;
    }

    /**
     * libbzip2's table count for this many symbols and its four refinement passes, plus the neighbouring table
     * counts and more passes; the cheapest in bits wins.
     */
    private static Coding bestCoding(int[] symbols, int count, int alphaSize) {
        int standard = count < 200 ? 2 : count < 600 ? 3 : count < 1200 ? 4 : count < 2400 ? 5 : 6;
        Coding best = null;
        for (int groups = Math.max(2, standard - 1); groups <= Math.min(MAX_GROUPS, standard + 1); groups++) {
            Coding c = refine(symbols, count, alphaSize, groups, groups == standard ? 8 : 6);
            if (best == null || c.bits() < best.bits()) {
                best = c;
            }
        }
        return best;
    }

    private static Coding refine(int[] symbols, int count, int alphaSize, int groups, int passes) {
        int[] frequency = new int[alphaSize];
        for (int i = 0; i < count; i++) {
            frequency[symbols[i]]++;
        }
        byte[][] lengths = new byte[groups][alphaSize];
        // first guess: each table covers a slice of the alphabet holding an equal share of the symbols
        int parts = groups;
        int remaining = count;
        int from = 0;
        while (parts > 0) {
            int target = remaining / parts;
            int to = from - 1;
            int got = 0;
            while (got < target && to < alphaSize - 1) {
                to++;
                got += frequency[to];
            }
            if (to > from && parts != groups && parts != 1 && ((groups - parts) % 2 == 1)) {
                got -= frequency[to];
                to--;
            }
            for (int v = 0; v < alphaSize; v++) {
                lengths[parts - 1][v] = (byte) (v >= from && v <= to ? 0 : 15);
            }
            parts--;
            from = to + 1;
            remaining -= got;
        }
        int selectorCount = (count + GROUP_SIZE - 1) / GROUP_SIZE;
        byte[] selectors = new byte[selectorCount];
        Coding best = null;
        int[][] groupFrequency = new int[groups][alphaSize];
        for (int pass = 0; pass < passes; pass++) {
            for (int[] f : groupFrequency) {
                Arrays.fill(f, 0);
            }
            for (int g = 0, i = 0; i < count; g++) {
                int end = Math.min(i + GROUP_SIZE, count);
                int bestTable = 0;
                long bestCost = Long.MAX_VALUE;
                for (int t = 0; t < groups; t++) {
                    long cost = 0;
                    byte[] len = lengths[t];
                    for (int k = i; k < end; k++) {
                        cost += len[symbols[k]];
                    }
                    if (cost < bestCost) {
                        bestCost = cost;
                        bestTable = t;
                    }
                }
                selectors[g] = (byte) bestTable;
                for (int k = i; k < end; k++) {
                    groupFrequency[bestTable][symbols[k]]++;
                }
                i = end;
            }
            byte[][] next = new byte[groups][];
            for (int t = 0; t < groups; t++) {
                next[t] = Huffman.codeLengths(groupFrequency[t], alphaSize, MAX_CODE_LENGTH);
            }
            lengths = next;
            // libbzip2 stops after its fourth pass; later passes are kept only when they cost less
            if (pass >= 3) {
                long bits = cost(symbols, count, alphaSize, groups, lengths, selectors, selectorCount);
                if (best == null || bits < best.bits()) {
                    best = new Coding(groups, lengths, selectors.clone(), selectorCount, bits);
                }
            }
        }
        return best;
    }

    private static long cost(int[] symbols, int count, int alphaSize, int groups, byte[][] lengths, byte[] selectors,
            int selectorCount) {
        long bits = 3 + 15;
        byte[] order = new byte[groups];
        for (int g = 0; g < groups; g++) {
            order[g] = (byte) g;
        }
        for (int i = 0; i < selectorCount; i++) {
            int v = selectors[i];
            int j = 0;
            while (order[j] != v) {
                j++;
            }
            System.arraycopy(order, 0, order, 1, j);
            order[0] = (byte) v;
            bits += j + 1;
        }
        for (int t = 0; t < groups; t++) {
            bits += 5;
            int current = lengths[t][0];
            for (int i = 0; i < alphaSize; i++) {
                bits += 1 + 2L * Math.abs(lengths[t][i] - current);
                current = lengths[t][i];
            }
        }
        for (int g = 0, i = 0; i < count; g++) {
            byte[] len = lengths[selectors[g]];
            for (int end = Math.min(i + GROUP_SIZE, count); i < end; i++) {
                bits += len[symbols[i]];
            }
        }
        return bits;
    }
}
