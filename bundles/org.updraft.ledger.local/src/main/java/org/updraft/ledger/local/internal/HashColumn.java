package org.updraft.ledger.local.internal;

import java.util.Arrays;

import org.updraft.core.log.MerkleHash;

/**
 * An append-only column of 32-byte hashes in chunks. One writer at a time appends; any thread reads entries
 * below a count the writer published afterwards through a volatile write (the ledger's head), which makes
 * the entries visible.
 */
final class HashColumn {

    private static final int CHUNK_BITS = 12;
    private static final int CHUNK = 1 << CHUNK_BITS;
    private static final int MASK = CHUNK - 1;

    private volatile byte[][] chunks = new byte[4][];
    private long size;

    void append(byte[] hash) {
        int chunk = (int) (size >>> CHUNK_BITS);
        byte[][] cs = chunks;
        if (chunk == cs.length) {
            cs = Arrays.copyOf(cs, cs.length * 2);
        }
        if (cs[chunk] == null) {
            cs[chunk] = new byte[CHUNK * MerkleHash.SIZE];
        }
        System.arraycopy(hash, 0, cs[chunk], (int) (size & MASK) * MerkleHash.SIZE, MerkleHash.SIZE);
        chunks = cs;
        size++;
    }

    byte[] get(long i) {
        byte[] out = new byte[MerkleHash.SIZE];
        System.arraycopy(chunks[(int) (i >>> CHUNK_BITS)], (int) (i & MASK) * MerkleHash.SIZE, out, 0,
                MerkleHash.SIZE);
        return out;
    }

    /** Entries appended (writer side). */
    long size() {
        return size;
    }
}
