package org.updraft.ledger.local.internal;

import java.util.Arrays;

/** An append-only column of longs in chunks, published like {@link HashColumn}. */
final class LongColumn {

    private static final int CHUNK_BITS = 13;
    private static final int CHUNK = 1 << CHUNK_BITS;
    private static final int MASK = CHUNK - 1;

    private volatile long[][] chunks = new long[4][];
    private long size;

    void append(long value) {
        int chunk = (int) (size >>> CHUNK_BITS);
        long[][] cs = chunks;
        if (chunk == cs.length) {
            cs = Arrays.copyOf(cs, cs.length * 2);
        }
        if (cs[chunk] == null) {
            cs[chunk] = new long[CHUNK];
        }
        cs[chunk][(int) (size & MASK)] = value;
        chunks = cs;
        size++;
    }

    long get(long i) {
        return chunks[(int) (i >>> CHUNK_BITS)][(int) (i & MASK)];
    }

    /** Entries appended (writer side). */
    long size() {
        return size;
    }
}
