package org.updraft.transport.lorawan.internal.fec;

/** Bit sets as {@code long[]}: what GF(2) rows need, without BitSet's copies. */
final class Bits {

    private Bits() {
    }

    static int count(long[] bits) {
        int n = 0;
        for (long w : bits) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** The first set bit at or after {@code from}, or -1. */
    static int next(long[] bits, int from) {
        int word = from >>> 6;
        if (word >= bits.length) {
            return -1;
        }
        long w = bits[word] & -1L << (from & 63);
        while (true) {
            if (w != 0) {
                return (word << 6) + Long.numberOfTrailingZeros(w);
            }
            if (++word == bits.length) {
                return -1;
            }
            w = bits[word];
        }
    }

    static boolean get(long[] bits, int i) {
        return (bits[i >>> 6] & 1L << i) != 0;
    }

    static void xor(long[] into, long[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] ^= from[i];
        }
    }

    static void xor(byte[] into, byte[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] ^= from[i];
        }
    }
}
