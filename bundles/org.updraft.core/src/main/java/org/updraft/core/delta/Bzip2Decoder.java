package org.updraft.core.delta;

import java.io.IOException;
import java.util.Arrays;

import org.updraft.api.delta.DeltaException;
import org.updraft.api.delta.DeltaException.Reason;

/**
 * Decodes one bzip2 stream from a patch region, in memory fixed by the stream's block size (its level, 1 to 9):
 * one int per byte of the largest block plus small tables, whatever the data says. Written for BSDIFF40 patches,
 * so it stops at the end of the first stream, as {@code bspatch} does.
 */
final class Bzip2Decoder {

    /** Memory of the tables beside the block: selectors, code lengths, decoding tables. */
    static final long TABLES_MEMORY = 64 * 1024;

    private static final long BLOCK_MAGIC = 0x314159265359L;
    private static final long END_MAGIC = 0x177245385090L;
    private static final int MAX_GROUPS = 6;
    private static final int GROUP_SIZE = 50;
    private static final int MAX_ALPHA = 258;
    private static final int MAX_SELECTORS = 18002;
    private static final int MAX_CODE_LENGTH = 20;
    private static final int FAST_BITS = 10;

    private final PatchRegion in;
    private final String what;
    private final int blockMax;
    /** The block: grown as blocks need it, never beyond the level's block size. */
    private int[] tt;

    private long bitBuffer;
    private int bitCount;
    private int padBits;

    private final byte[] seqToUnseq = new byte[256];
    private final byte[] mtf = new byte[256];
    private final byte[] selectors = new byte[MAX_SELECTORS];
    private final byte[][] lengths = new byte[MAX_GROUPS][MAX_ALPHA];
    private final int[][] fast = new int[MAX_GROUPS][1 << FAST_BITS];
    private final int[][] first = new int[MAX_GROUPS][MAX_CODE_LENGTH + 1];
    private final int[][] count = new int[MAX_GROUPS][MAX_CODE_LENGTH + 1];
    private final int[][] offset = new int[MAX_GROUPS][MAX_CODE_LENGTH + 1];
    private final int[][] perm = new int[MAX_GROUPS][MAX_ALPHA];
    private final int[] maxLength = new int[MAX_GROUPS];
    private final int[] byteCount = new int[256];

    private boolean inBlock;
    private boolean ended;
    private int blockLength;
    private int produced;
    private int tPos;
    private int lastByte;
    private int runLength;
    private int repeat;
    private int crc;
    private int expectedBlockCrc;
    private int combinedCrc;

    /** Working memory of a decoder for streams of this level. */
    static long memory(int level) {
        return 4L * 100_000 * level + TABLES_MEMORY;
    }

    /**
     * Reads a stream's header ({@code BZh} and the level digit).
     *
     * @return the level, 1 to 9: blocks hold up to 100000 times as many bytes
     */
    static int readHeader(PatchRegion in, String what) throws IOException, DeltaException {
        int b = in.read();
        int z = in.read();
        int h = in.read();
        int level = in.read();
        if (b < 0 || z < 0 || h < 0 || level < 0) {
            if (b >= 0 && b != 'B' || z >= 0 && z != 'Z' || h >= 0 && h != 'h') {
                throw new DeltaException(Reason.MALFORMED, what + " is not bzip2 data");
            }
            throw in.truncated();
        }
        if (b != 'B' || z != 'Z' || h != 'h' || level < '1' || level > '9') {
            throw new DeltaException(Reason.MALFORMED, what + " is not bzip2 data");
        }
        return level - '0';
    }

    /** A decoder for the stream whose header {@link #readHeader} just read from {@code in}. */
    Bzip2Decoder(PatchRegion in, int level, String what) {
        this.in = in;
        this.what = what;
        this.blockMax = 100_000 * level;
        this.tt = new int[Math.min(blockMax, 16 * 1024)];
    }

    /**
     * Reads up to {@code len} decoded bytes.
     *
     * @return the number read, or -1 at the end of the stream
     */
    int read(byte[] b, int off, int len) throws IOException, DeltaException {
        if (len == 0) {
            return 0;
        }
        int n = 0;
        while (n < len) {
            if (repeat > 0) {
                int k = Math.min(repeat, len - n);
                Arrays.fill(b, off + n, off + n + k, (byte) lastByte);
                crc = Bzip2Crc.repeat(crc, lastByte, k);
                repeat -= k;
                n += k;
                continue;
            }
            if (produced == blockLength) {
                if (inBlock) {
                    finishBlock();
                }
                if (ended || !startBlock()) {
                    ended = true;
                    break;
                }
                continue;
            }
            // the inverse Burrows-Wheeler transform, then bzip2's first run-length step undone on the way out
            int[] t = tt;
            int p = tPos;
            int last = lastByte;
            int run = runLength;
            int i = produced;
            int end = blockLength;
            int c = crc;
            while (n < len && i < end) {
                p = t[p];
                int ch = p & 0xff;
                p >>>= 8;
                i++;
                if (run == 4) {
                    repeat = ch;
                    run = 0;
                    break;
                }
                if (ch == last) {
                    run++;
                } else {
                    run = 1;
                    last = ch;
                }
                b[off + n++] = (byte) ch;
                c = Bzip2Crc.update(c, ch);
            }
            tPos = p;
            lastByte = last;
            runLength = run;
            produced = i;
            crc = c;
        }
        return n == 0 && ended ? -1 : n;
    }

    /** Reads exactly {@code len} bytes; false when the stream ended first. */
    boolean readFully(byte[] b, int off, int len) throws IOException, DeltaException {
        while (len > 0) {
            int n = read(b, off, len);
            if (n < 0) {
                return false;
            }
            off += n;
            len -= n;
        }
        return true;
    }

    /**
     * Checks that the stream ends here: the last block's CRC, the end-of-stream marker and the stream's CRC. A
     * caller that has read all it needs calls this, so that a patch cut inside its last bytes, or one holding more
     * than it uses, is refused rather than half checked.
     */
    void finish() throws IOException, DeltaException {
        if (read(new byte[1], 0, 1) > 0) {
            throw malformed("the stream holds more data than the patch uses");
        }
    }

    private void finishBlock() throws DeltaException {
        if (~crc != expectedBlockCrc) {
            throw new DeltaException(Reason.CORRUPT, what + ": a bzip2 block fails its CRC");
        }
        combinedCrc = Bzip2Crc.combine(combinedCrc, expectedBlockCrc);
        inBlock = false;
    }

    private boolean startBlock() throws IOException, DeltaException {
        long magic = ((long) bits(24) << 24) | bits(24);
        if (magic == END_MAGIC) {
            if (bits(32) != combinedCrc) {
                throw new DeltaException(Reason.CORRUPT, what + ": the bzip2 stream fails its CRC");
            }
            return false;
        }
        if (magic != BLOCK_MAGIC) {
            throw malformed("a bzip2 block does not start with its magic number");
        }
        expectedBlockCrc = bits(32);
        if (bits(1) != 0) {
            throw new DeltaException(Reason.UNSUPPORTED, what + ": randomised bzip2 blocks (bzip2 0.9.0) are not "
                    + "supported");
        }
        int origin = bits(24);
        int nInUse = readSymbolMap();
        int alphaSize = nInUse + 2;
        int groups = bits(3);
        if (groups < 2 || groups > MAX_GROUPS) {
            throw malformed("a bzip2 block has " + groups + " Huffman tables");
        }
        int selectorCount = readSelectors(groups);
        for (int t = 0; t < groups; t++) {
            readCodeLengths(t, alphaSize);
            buildTable(t, alphaSize);
        }
        int length = readSymbols(nInUse, selectorCount);
        if (origin >= length) {
            throw malformed("a bzip2 block's origin pointer is outside the block");
        }
        int sum = 0;
        int[] start = new int[256];
        for (int v = 0; v < 256; v++) {
            start[v] = sum;
            sum += byteCount[v];
        }
        int[] t = tt;
        for (int i = 0; i < length; i++) {
            int v = t[i] & 0xff;
            t[start[v]++] |= i << 8;
        }
        tPos = t[origin] >>> 8;
        blockLength = length;
        produced = 0;
        crc = -1;
        lastByte = -1;
        runLength = 0;
        repeat = 0;
        inBlock = true;
        return true;
    }

    private int readSymbolMap() throws IOException, DeltaException {
        int used = bits(16);
        int n = 0;
        for (int i = 0; i < 16; i++) {
            if ((used & (0x8000 >>> i)) != 0) {
                int bitsOfGroup = bits(16);
                for (int j = 0; j < 16; j++) {
                    if ((bitsOfGroup & (0x8000 >>> j)) != 0) {
                        seqToUnseq[n++] = (byte) (i * 16 + j);
                    }
                }
            }
        }
        if (n == 0) {
            throw malformed("a bzip2 block uses no byte values");
        }
        return n;
    }

    private int readSelectors(int groups) throws IOException, DeltaException {
        int total = bits(15);
        if (total < 1) {
            throw malformed("a bzip2 block has no selectors");
        }
        byte[] order = new byte[MAX_GROUPS];
        for (int g = 0; g < groups; g++) {
            order[g] = (byte) g;
        }
        int kept = Math.min(total, MAX_SELECTORS);
        for (int i = 0; i < total; i++) {
            int j = 0;
            while (bits(1) != 0) {
                j++;
                if (j >= groups) {
                    throw malformed("a bzip2 selector names a table that does not exist");
                }
            }
            if (i < kept) {
                // selectors are move-to-front coded
                byte v = order[j];
                System.arraycopy(order, 0, order, 1, j);
                order[0] = v;
                selectors[i] = v;
            }
        }
        return kept;
    }

    private void readCodeLengths(int t, int alphaSize) throws IOException, DeltaException {
        int current = bits(5);
        for (int i = 0; i < alphaSize; i++) {
            while (true) {
                if (current < 1 || current > MAX_CODE_LENGTH) {
                    throw malformed("a bzip2 Huffman code length is out of range");
                }
                if (bits(1) == 0) {
                    break;
                }
                current += bits(1) == 0 ? 1 : -1;
            }
            lengths[t][i] = (byte) current;
        }
    }

    /** Canonical codes: shorter first, then by symbol; a lookup table for the short ones. */
    private void buildTable(int t, int alphaSize) throws DeltaException {
        int[] cnt = count[t];
        int[] fst = first[t];
        int[] off = offset[t];
        int[] pm = perm[t];
        int[] fastTable = fast[t];
        byte[] len = lengths[t];
        Arrays.fill(cnt, 0);
        int longest = 0;
        for (int i = 0; i < alphaSize; i++) {
            cnt[len[i]]++;
            longest = Math.max(longest, len[i]);
        }
        maxLength[t] = longest;
        int code = 0;
        int index = 0;
        for (int l = 1; l <= MAX_CODE_LENGTH; l++) {
            fst[l] = code;
            off[l] = index;
            code += cnt[l];
            index += cnt[l];
            if (code > (1 << l)) {
                throw malformed("a bzip2 Huffman table is over-subscribed");
            }
            code <<= 1;
        }
        int[] next = new int[MAX_CODE_LENGTH + 1];
        System.arraycopy(off, 0, next, 0, next.length);
        Arrays.fill(fastTable, 0);
        for (int l = 1; l <= MAX_CODE_LENGTH; l++) {
            if (cnt[l] == 0) {
                continue;
            }
            for (int s = 0; s < alphaSize; s++) {
                if (len[s] != l) {
                    continue;
                }
                int k = next[l]++;
                pm[k] = s;
                if (l <= FAST_BITS) {
                    int c = fst[l] + (k - off[l]);
                    int from = c << (FAST_BITS - l);
                    Arrays.fill(fastTable, from, from + (1 << (FAST_BITS - l)), (s << 5) | l);
                }
            }
        }
    }

    private int readSymbols(int nInUse, int selectorCount) throws IOException, DeltaException {
        int endOfBlock = nInUse + 1;
        for (int i = 0; i < 256; i++) {
            mtf[i] = (byte) i;
        }
        Arrays.fill(byteCount, 0);
        int[] t = tt;
        int length = 0;
        int group = -1;
        int left = 0;
        int table = 0;
        int run = 0;
        int weight = 1;
        while (true) {
            if (left == 0) {
                group++;
                if (group >= selectorCount) {
                    throw malformed("a bzip2 block has more symbols than selectors");
                }
                table = selectors[group];
                left = GROUP_SIZE;
            }
            left--;
            int symbol = symbol(table);
            if (symbol <= 1) {
                // a run of the front byte, in bijective base 2: RUNA adds the weight, RUNB twice it
                run += weight << symbol;
                weight <<= 1;
                if (run > blockMax || weight > blockMax) {
                    throw malformed("a bzip2 block is longer than its stream's block size");
                }
                continue;
            }
            if (run > 0) {
                if (length + run > blockMax) {
                    throw malformed("a bzip2 block is longer than its stream's block size");
                }
                int v = seqToUnseq[mtf[0] & 0xff] & 0xff;
                byteCount[v] += run;
                t = room(length + run);
                Arrays.fill(t, length, length + run, v);
                length += run;
                run = 0;
                weight = 1;
            }
            if (symbol == endOfBlock) {
                return length;
            }
            int index = symbol - 1;
            byte m = mtf[index];
            System.arraycopy(mtf, 0, mtf, 1, index);
            mtf[0] = m;
            if (length >= blockMax) {
                throw malformed("a bzip2 block is longer than its stream's block size");
            }
            int v = seqToUnseq[m & 0xff] & 0xff;
            byteCount[v]++;
            if (length == t.length) {
                t = room(length + 1);
            }
            t[length++] = v;
        }
    }

    /** The block array with room for {@code needed} entries (at most the level's block size, checked before). */
    private int[] room(int needed) {
        if (needed > tt.length) {
            tt = Arrays.copyOf(tt, (int) Math.min(blockMax, Math.max(needed, 2L * tt.length)));
        }
        return tt;
    }

    private int symbol(int table) throws IOException, DeltaException {
        ensure(MAX_CODE_LENGTH);
        int v = (int) (bitBuffer >>> (bitCount - MAX_CODE_LENGTH)) & ((1 << MAX_CODE_LENGTH) - 1);
        int e = fast[table][v >>> (MAX_CODE_LENGTH - FAST_BITS)];
        if (e != 0) {
            consume(e & 31);
            return e >>> 5;
        }
        int[] fst = first[table];
        int[] cnt = count[table];
        for (int l = FAST_BITS + 1, max = maxLength[table]; l <= max; l++) {
            int k = (v >>> (MAX_CODE_LENGTH - l)) - fst[l];
            if (k >= 0 && k < cnt[l]) {
                consume(l);
                return perm[table][offset[table][l] + k];
            }
        }
        throw malformed("a bzip2 block holds a bit pattern that is no Huffman code");
    }

    private void ensure(int n) throws IOException, DeltaException {
        while (bitCount < n) {
            int b = in.read();
            if (b < 0) {
                // past the end: zeros, so that a last short code can be peeked; consuming them is an error
                b = 0;
                padBits += 8;
            }
            bitBuffer = (bitBuffer << 8) | b;
            bitCount += 8;
        }
    }

    private void consume(int n) throws DeltaException {
        bitCount -= n;
        if (bitCount < padBits) {
            throw in.truncated();
        }
    }

    private int bits(int n) throws IOException, DeltaException {
        if (n > 24) {
            return (bits(n - 16) << 16) | bits(16);
        }
        ensure(n);
        consume(n);
        return (int) (bitBuffer >>> bitCount) & ((1 << n) - 1);
    }

    private DeltaException malformed(String message) {
        return new DeltaException(Reason.MALFORMED, what + ": " + message);
    }
}
