package org.updraft.ledger.postgresql.internal;

import java.util.Arrays;

import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;

/**
 * The right edge of the log's tree as the tree-state row stores it: one perfect subtree hash per set bit of the
 * size, highest first. Appending a leaf completes the subtrees it closes; each is written to the node table in
 * the same transaction, so the table holds every complete subtree of height 1 and up.
 */
final class RightEdge {

    /** Receives each perfect subtree that an appended leaf completes. */
    @FunctionalInterface
    interface CompletedNode {
        void completed(int height, long index, byte[] hash);
    }

    // subtrees[h]: the perfect subtree of height h on the right edge when bit h of size is set
    private final byte[][] subtrees = new byte[64][];
    private long size;

    private RightEdge(long size) {
        this.size = size;
    }

    static RightEdge empty() {
        return new RightEdge(0);
    }

    /**
     * The edge of a tree of {@code size} leaves from its stored form.
     *
     * @throws IllegalArgumentException when {@code stored} does not hold one hash per set bit of {@code size}
     */
    static RightEdge decode(long size, byte[] stored) {
        if (size < 0 || stored == null || stored.length != Long.bitCount(size) * MerkleHash.SIZE) {
            throw new IllegalArgumentException("the stored right edge has " + (stored == null ? 0 : stored.length)
                    + " bytes, a tree of " + size + " leaves needs "
                    + Long.bitCount(Math.max(size, 0)) * MerkleHash.SIZE);
        }
        RightEdge edge = new RightEdge(size);
        int offset = 0;
        for (int height = 63; height >= 0; height--) {
            if ((size & (1L << height)) != 0) {
                edge.subtrees[height] = Arrays.copyOfRange(stored, offset, offset + MerkleHash.SIZE);
                offset += MerkleHash.SIZE;
            }
        }
        return edge;
    }

    byte[] encode() {
        byte[] out = new byte[Long.bitCount(size) * MerkleHash.SIZE];
        int offset = 0;
        for (int height = 63; height >= 0; height--) {
            if ((size & (1L << height)) != 0) {
                System.arraycopy(subtrees[height], 0, out, offset, MerkleHash.SIZE);
                offset += MerkleHash.SIZE;
            }
        }
        return out;
    }

    long size() {
        return size;
    }

    /** Adds the next leaf; {@code completed} is told every subtree of height 1 or more that it closes. */
    void append(byte[] leafHash, CompletedNode completed) {
        long index = size;
        byte[] carry = leafHash.clone();
        int height = 0;
        while ((size & (1L << height)) != 0) {
            carry = MerkleHash.nodeHash(subtrees[height], carry);
            subtrees[height] = null;
            height++;
            completed.completed(height, index >>> height, carry);
        }
        subtrees[height] = carry;
        size++;
    }

    /**
     * The root over all leaves. The tree's root combines exactly the perfect subtrees of its right edge, so core's
     * {@link MerkleTree#rootHash} computes it from the edge alone.
     */
    byte[] rootHash() {
        return MerkleTree.rootHash((height, index) -> subtrees[height].clone(), size);
    }
}
