package org.updraft.core.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.Adler32;

/**
 * Makes a VCDIFF patch: the target cut into windows, each matched against the whole base and against itself
 * (hash chains of 4-byte keys, the longest of a few candidates, the previous COPY's alignment tried first), then
 * coded with the default code table, pairing instructions where it has an opcode for the pair, and each address
 * in its cheapest mode. Each window names the smallest source segment covering its COPYs.
 */
final class VcdiffEncoder {

    private static final int KEY = 4;
    private static final int CHAIN = 32;
    private static final int MIN_RUN = 8;

    private static final int ADD = 0;
    private static final int RUN = 1;
    private static final int COPY_SOURCE = 2;
    private static final int COPY_TARGET = 3;

    private final byte[] base;
    private final byte[] target;
    private final int window;
    private final boolean checksum;
    private final int hashBits;
    private final int[] baseHead;
    private final int[] baseChain;

    VcdiffEncoder(byte[] base, byte[] target, int window, boolean checksum) {
        this.base = base;
        this.target = target;
        this.window = window;
        this.checksum = checksum;
        this.hashBits = Math.max(10, Math.min(24, 32 - Integer.numberOfLeadingZeros(Math.max(1, base.length))));
        this.baseHead = new int[1 << hashBits];
        this.baseChain = new int[Math.max(0, base.length)];
        Arrays.fill(baseHead, -1);
        for (int p = 0; p + KEY <= base.length; p++) {
            int h = hash(base, p);
            baseChain[p] = baseHead[h];
            baseHead[h] = p;
        }
    }

    private int hash(byte[] b, int p) {
        return hash(b, p, hashBits);
    }

    /** The top {@code bits} bits of the 4-byte key times the golden ratio: Fibonacci hashing. */
    private static int hash(byte[] b, int p, int bits) {
        int key = (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
        return (key * 0x9E3779B1) >>> (32 - bits);
    }

    void write(OutputStream out) throws IOException {
        out.write(new byte[] {(byte) 0xD6, (byte) 0xC3, (byte) 0xC4, 0, 0});
        for (int start = 0; start < target.length; start += window) {
            int end = (int) Math.min((long) start + window, target.length);
            writeWindow(out, start, end, match(start, end));
        }
        if (target.length == 0) {
            // xdelta3 -d refuses a patch without windows ("nothing to output"); it writes one empty window
            writeWindow(out, 0, 0, new Instructions());
        }
    }

    /** Instructions of one window, in order: kind, size, and where from (base offset, window offset). */
    private static final class Instructions {
        int[] kind = new int[64];
        int[] size = new int[64];
        int[] from = new int[64];
        int count;

        void add(int k, int s, int f) {
            if (count == kind.length) {
                kind = Arrays.copyOf(kind, count * 2);
                size = Arrays.copyOf(size, count * 2);
                from = Arrays.copyOf(from, count * 2);
            }
            kind[count] = k;
            size[count] = s;
            from[count] = f;
            count++;
        }
    }

    /** The best COPY found at one position: its length, where from, and what it saves over adding its bytes. */
    private static final class Candidate {
        int length;
        int from;
        boolean source;
        int gain;

        void clear() {
            length = 0;
            gain = 0;
        }

        void offer(int n, int f, boolean fromSource, int addressCost) {
            // a COPY costs an opcode, its address, and its size when the code table has no opcode for it
            int g = n - 1 - addressCost - (n > 18 ? Varint.length(n) : 0);
            if (g > gain || g == gain && g > 0 && n > length) {
                length = n;
                from = f;
                source = fromSource;
                gain = g;
            }
        }
    }

    /** One window's matching state: its own hash chains, what is indexed, the last COPY's alignment. */
    private final class Matcher {
        final int start;
        final int end;
        final int bits;
        final int[] head;
        final int[] chain;
        int indexed;
        /** Base position minus target position of the last source COPY; at first the same position in both. */
        long offset;
        int lastSource = -1;

        Matcher(int start, int end) {
            this.start = start;
            this.end = end;
            this.bits = Math.max(8, Math.min(20, 32 - Integer.numberOfLeadingZeros(Math.max(1, end - start))));
            this.head = new int[1 << bits];
            this.chain = new int[end - start];
            this.indexed = start;
            Arrays.fill(head, -1);
        }

        private int windowHash(int p) {
            return hash(target, p, bits);
        }

        /** The best COPY at {@code t}: the previous alignment, base positions, earlier bytes of this window. */
        void find(int t, Candidate best) {
            best.clear();
            long a0 = t + offset;
            if (a0 >= 0 && a0 < base.length) {
                // after a changed byte or two the base usually goes on as before: near the last address
                best.offer(sourceMatch((int) a0, t, end), (int) a0, true, 1);
            }
            if (t + KEY > end) {
                return;
            }
            int h = hash(target, t);
            int steps = 0;
            for (int a = baseHead[h]; a >= 0 && steps < CHAIN; a = baseChain[a], steps++) {
                int n = sourceMatch(a, t, end);
                if (n >= KEY) {
                    int cost = lastSource >= 0 ? Math.min(Varint.length(a), Varint.length(Math.abs(a - lastSource)))
                            : Varint.length(a);
                    best.offer(n, a, true, cost);
                }
            }
            while (indexed < t && indexed + KEY <= end) {
                int g = windowHash(indexed);
                chain[indexed - start] = head[g];
                head[g] = indexed - start;
                indexed++;
            }
            steps = 0;
            for (int q = head[windowHash(t)]; q >= 0 && steps < CHAIN; q = chain[q], steps++) {
                int n = targetMatch(start + q, t, end);
                if (n >= KEY) {
                    // addressed back from here
                    best.offer(n, q, false, Varint.length(t - start - q));
                }
            }
        }
    }

    private Instructions match(int start, int end) {
        Instructions out = new Instructions();
        Matcher matcher = new Matcher(start, end);
        Candidate best = new Candidate();
        Candidate next = new Candidate();
        int pending = start;
        int t = start;
        while (t < end) {
            matcher.find(t, best);
            int run = run(t, end);
            if (run >= MIN_RUN && run > best.length) {
                flushAdd(out, pending, t);
                out.add(RUN, run, t);
                t += run;
                pending = t;
                continue;
            }
            if (best.gain <= 0) {
                t++;
                continue;
            }
            // lazily: a clearly better COPY one byte later is worth one more added byte
            if (best.length < 64 && t + 1 < end) {
                matcher.find(t + 1, next);
                if (next.gain > best.gain + 1) {
                    t++;
                    continue;
                }
            }
            int length = best.length;
            int from = best.from;
            // take back bytes waiting to be added that the match also covers
            if (best.source) {
                while (t > pending && from > 0 && base[from - 1] == target[t - 1]) {
                    t--;
                    from--;
                    length++;
                }
            } else {
                while (t > pending && from > 0 && target[start + from - 1] == target[t - 1]) {
                    t--;
                    from--;
                    length++;
                }
            }
            flushAdd(out, pending, t);
            if (best.source) {
                out.add(COPY_SOURCE, length, from);
                matcher.offset = (long) from - t;
                matcher.lastSource = from + length;
            } else {
                out.add(COPY_TARGET, length, from);
            }
            t += length;
            pending = t;
        }
        flushAdd(out, pending, end);
        return out;
    }

    private static void flushAdd(Instructions out, int from, int to) {
        if (to > from) {
            out.add(ADD, to - from, from);
        }
    }

    private int sourceMatch(int a, int t, int end) {
        int n = Math.min(base.length - a, end - t);
        int m = Arrays.mismatch(base, a, a + n, target, t, t + n);
        return m < 0 ? n : m;
    }

    /** Matches may run into the bytes they produce, as the decoder copies byte by byte. */
    private int targetMatch(int q, int t, int end) {
        int n = end - t;
        int m = Arrays.mismatch(target, q, q + n, target, t, t + n);
        return m < 0 ? n : m;
    }

    private int run(int t, int end) {
        byte b = target[t];
        int i = t + 1;
        while (i < end && target[i] == b) {
            i++;
        }
        return i - t;
    }

    private void writeWindow(OutputStream out, int start, int end, Instructions ins) throws IOException {
        long low = Long.MAX_VALUE;
        long high = 0;
        for (int i = 0; i < ins.count; i++) {
            if (ins.kind[i] == COPY_SOURCE) {
                low = Math.min(low, ins.from[i]);
                high = Math.max(high, (long) ins.from[i] + ins.size[i]);
            }
        }
        boolean source = low != Long.MAX_VALUE;
        long sourceLength = source ? high - low : 0;
        ByteSink data = new ByteSink();
        ByteSink instructions = new ByteSink();
        ByteSink addresses = new ByteSink();
        VcdiffAddresses cache = new VcdiffAddresses();
        Pairing pairing = new Pairing(instructions);
        int at = 0;
        for (int i = 0; i < ins.count; i++) {
            int size = ins.size[i];
            switch (ins.kind[i]) {
                case ADD -> {
                    data.write(target, ins.from[i], size);
                    pairing.add(size);
                }
                case RUN -> {
                    data.write(target[ins.from[i]]);
                    pairing.run(size);
                }
                default -> {
                    long address = ins.kind[i] == COPY_SOURCE ? ins.from[i] - low : sourceLength + ins.from[i];
                    int mode = cache.encode(address, sourceLength + at, addresses);
                    pairing.copy(size, mode);
                }
            }
            at += size;
        }
        pairing.flush();

        ByteSink body = new ByteSink();
        Varint.write(body, end - start);
        body.write(0);
        Varint.write(body, data.size());
        Varint.write(body, instructions.size());
        Varint.write(body, addresses.size());
        if (checksum) {
            Adler32 sum = new Adler32();
            sum.update(target, start, end - start);
            int v = (int) sum.getValue();
            body.write(v >>> 24);
            body.write(v >>> 16);
            body.write(v >>> 8);
            body.write(v);
        }
        body.write(data.array(), 0, data.size());
        body.write(instructions.array(), 0, instructions.size());
        body.write(addresses.array(), 0, addresses.size());

        ByteSink head = new ByteSink();
        head.write((source ? VcdiffCodec.VCD_SOURCE : 0) | (checksum ? VcdiffCodec.VCD_ADLER32 : 0));
        if (source) {
            Varint.write(head, sourceLength);
            Varint.write(head, low);
        }
        Varint.write(head, body.size());
        out.write(head.array(), 0, head.size());
        out.write(body.array(), 0, body.size());
    }

    /**
     * Writes opcodes, holding back a small ADD or a 4-byte COPY for one instruction in case the code table has
     * an opcode for the pair.
     */
    private static final class Pairing {
        private final ByteSink out;
        private int heldAdd;
        private int heldCopyMode = -1;

        Pairing(ByteSink out) {
            this.out = out;
        }

        void add(int size) {
            if (heldCopyMode >= 0 && size == 1) {
                out.write(VcdiffCodeTable.copyThenAdd(heldCopyMode));
                heldCopyMode = -1;
                return;
            }
            flush();
            if (size <= 4) {
                heldAdd = size;
            } else {
                single(VcdiffCodeTable.add(size), size, 17);
            }
        }

        void copy(int size, int mode) {
            if (heldAdd > 0) {
                int op = VcdiffCodeTable.addThenCopy(heldAdd, size, mode);
                if (op >= 0) {
                    out.write(op);
                    heldAdd = 0;
                    return;
                }
            }
            flush();
            if (size == 4) {
                heldCopyMode = mode;
            } else {
                int op = VcdiffCodeTable.copy(size, mode);
                out.write(op);
                if (size < 4 || size > 18) {
                    Varint.write(out, size);
                }
            }
        }

        void run(int size) {
            flush();
            out.write(0);
            Varint.write(out, size);
        }

        void flush() {
            if (heldAdd > 0) {
                single(VcdiffCodeTable.add(heldAdd), heldAdd, 17);
                heldAdd = 0;
            }
            if (heldCopyMode >= 0) {
                out.write(VcdiffCodeTable.copy(4, heldCopyMode));
                heldCopyMode = -1;
            }
        }

        private void single(int op, int size, int largestInOpcode) {
            out.write(op);
            if (size > largestInOpcode) {
                Varint.write(out, size);
            }
        }
    }
}
