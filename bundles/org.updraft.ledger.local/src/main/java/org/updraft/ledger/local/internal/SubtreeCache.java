package org.updraft.ledger.local.internal;

import org.updraft.core.log.MerkleHash;

/**
 * The log's Merkle tree in memory from height {@value #CACHED_HEIGHT} up: every complete perfect subtree of
 * 16 or more leaves, about 4 bytes per event. Below that the ledger rehashes one block of 16 leaf hashes read
 * from the event file, so any root or proof costs O(log n) lookups and at most two block reads. Appending
 * (writer side) keeps the right edge of the tree so that each leaf costs one node hash on average.
 */
final class SubtreeCache {

    /** The lowest height kept in memory; a block of 2^4 = 16 events is what the ledger rehashes from disk. */
    static final int CACHED_HEIGHT = 4;
    static final int BLOCK = 1 << CACHED_HEIGHT;

    private final HashColumn[] levels = new HashColumn[64];
    private final byte[][] rightEdge = new byte[64][];
    private long size;

    SubtreeCache() {
        for (int h = CACHED_HEIGHT; h < levels.length; h++) {
            levels[h] = new HashColumn();
        }
    }

    /** Adds the next leaf (writer side). */
    void append(byte[] leafHash) {
        byte[] carry = leafHash;
        int height = 0;
        while ((size & (1L << height)) != 0) {
            carry = MerkleHash.nodeHash(rightEdge[height], carry);
            rightEdge[height] = null;
            height++;
            if (height >= CACHED_HEIGHT) {
                levels[height].append(carry);
            }
        }
        rightEdge[height] = carry;
        size++;
    }

    /** The complete perfect subtree of {@code height} (at least {@link #CACHED_HEIGHT}) at {@code index}. */
    byte[] get(int height, long index) {
        return levels[height].get(index);
    }

    /** The root of all leaves appended (writer side), from the right edge. */
    byte[] rootHash() {
        byte[] root = null;
        for (int height = 0; height < rightEdge.length; height++) {
            if ((size & (1L << height)) != 0) {
                root = root == null ? rightEdge[height] : MerkleHash.nodeHash(rightEdge[height], root);
            }
        }
        return root == null ? MerkleHash.emptyTreeHash() : root.clone();
    }

    /** Leaves appended (writer side). */
    long size() {
        return size;
    }
}
