package org.updraft.transport.lorawan.internal.fec;

import org.updraft.transport.lorawan.internal.fuota.Ts004Version;

/**
 * The rows of TS004's parity matrix: coded fragment {@code n} (sent with counter M+n) is the XOR of the uncoded
 * fragments whose bits row {@code n} sets. Both versions draw M/2 positions from the same 23-bit PRBS seeded by
 * n; v1.0.0 keeps a position drawn twice as one bit (so rows may hold fewer), v2.0.0 draws again until it has
 * M/2 distinct ones. Checked against the rows of Semtech's reference code (LoRaMac-node, LoRa Basics Modem).
 */
public final class ParityRows {

    private ParityRows() {
    }

    /** The next state of the generator: a 23-bit shift register with taps at bits 0 and 5. */
    static int prbs23(int x) {
        return (x >>> 1) + (((x ^ (x >>> 5)) & 1) << 22);
    }

    /**
     * Row {@code n} (1-based) for {@code m} uncoded fragments, as a bit set: bit i of word i/64 is uncoded fragment
     * i (0-based).
     */
    public static long[] row(Ts004Version version, int n, int m) {
        if (n < 1 || m < 1) {
            throw new IllegalArgumentException("a parity row needs n >= 1 and M >= 1, not n=" + n + ", M=" + m);
        }
        long[] bits = new long[(m + 63) >>> 6];
        boolean distinct = version == Ts004Version.V2_0_0;
        // a power of two would make x mod M depend on the register's low bits only
        int modulus = Integer.bitCount(m) == 1 ? m + 1 : m;
        int x = 1 + 1001 * n;
        for (int drawn = 0; drawn < m / 2; drawn++) {
            int r;
            do {
                x = prbs23(x);
                r = x % modulus;
            } while (r >= m || distinct && (bits[r >>> 6] & 1L << r) != 0);
            bits[r >>> 6] |= 1L << r;
        }
        return bits;
    }

    /** Row {@code n} as the 0-based indices of its uncoded fragments, in increasing order. */
    public static int[] indices(Ts004Version version, int n, int m) {
        long[] bits = row(version, n, m);
        int[] out = new int[Bits.count(bits)];
        int k = 0;
        for (int i = Bits.next(bits, 0); i >= 0; i = Bits.next(bits, i + 1)) {
            out[k++] = i;
        }
        return out;
    }
}
