package org.updraft.core.log;

/**
 * The right edge of a growing Merkle tree: one hash per set bit of its size, enough to give the root after every
 * appended leaf in O(log n) memory. {@code updraft:ledger-verify} streams a whole log through one of these and
 * compares the root at each issued checkpoint's size. Not thread-safe.
 */
public final class MerkleFrontier {

    // subtrees[h] is the perfect subtree of height h on the right edge when bit h of size is set
    private final byte[][] subtrees = new byte[64][];
    private long size;

    /** Adds the next leaf, given by its leaf hash ({@link MerkleHash#leafHash}). */
    public void append(byte[] leafHash) {
        MerkleHash.requireHash(leafHash, "leaf hash");
        if (size == Long.MAX_VALUE) {
            throw new IllegalStateException("the tree is full");
        }
        byte[] carry = leafHash.clone();
        int height = 0;
        while ((size & (1L << height)) != 0) {
            carry = MerkleHash.nodeHash(subtrees[height], carry);
            subtrees[height] = null;
            height++;
        }
        subtrees[height] = carry;
        size++;
    }

    /** Number of leaves appended. */
    public long size() {
        return size;
    }

    /** {@code MTH} of all leaves appended so far; the empty-tree hash when there are none. */
    public byte[] rootHash() {
        if (size == 0) {
            return MerkleHash.emptyTreeHash();
        }
        byte[] root = null;
        for (int height = 0; height < 64; height++) {
            if ((size & (1L << height)) != 0) {
                root = root == null ? subtrees[height].clone() : MerkleHash.nodeHash(subtrees[height], root);
            }
        }
        return root;
    }
}
