package org.updraft.core.log;

import java.util.ArrayList;
import java.util.List;

/**
 * A whole Merkle tree in memory, every level of it (64 bytes per leaf): for logs small enough to hold, such as
 * a backend that keeps its leaves elsewhere, and for tests. Serves roots and proofs for any size up to
 * {@link #size()} through {@link MerkleTree}. Not thread-safe.
 */
public final class MemoryMerkleTree implements SubtreeHashes {

    // levels.get(h).get(i) is the perfect subtree of height h at position i
    private final List<List<byte[]>> levels = new ArrayList<>();

    public MemoryMerkleTree() {
        levels.add(new ArrayList<>());
    }

    /** A tree of the given leaf hashes, in order. */
    public static MemoryMerkleTree of(List<byte[]> leafHashes) {
        MemoryMerkleTree tree = new MemoryMerkleTree();
        leafHashes.forEach(tree::append);
        return tree;
    }

    /** Adds the next leaf, given by its leaf hash ({@link MerkleHash#leafHash}). */
    public void append(byte[] leafHash) {
        MerkleHash.requireHash(leafHash, "leaf hash");
        if (levels.get(0).size() == Integer.MAX_VALUE) {
            throw new IllegalStateException("an in-memory tree holds at most " + Integer.MAX_VALUE + " leaves");
        }
        byte[] carry = leafHash.clone();
        int height = 0;
        levels.get(0).add(carry);
        // Each leaf that makes a level's count even completes one node on the level above.
        while (levels.get(height).size() % 2 == 0) {
            List<byte[]> level = levels.get(height);
            carry = MerkleHash.nodeHash(level.get(level.size() - 2), carry);
            height++;
            if (levels.size() == height) {
                levels.add(new ArrayList<>());
            }
            levels.get(height).add(carry);
        }
    }

    /** Number of leaves. */
    public long size() {
        return levels.get(0).size();
    }

    /** The root of all leaves. */
    public byte[] rootHash() {
        return MerkleTree.rootHash(this, size());
    }

    @Override
    public byte[] perfectSubtreeHash(int height, long index) {
        if (height < 0 || height >= levels.size() || index < 0 || index >= levels.get(height).size()) {
            throw new IllegalArgumentException("no complete subtree of height " + height + " at " + index
                    + " in a tree of " + size() + " leaves");
        }
        return levels.get(height).get((int) index).clone();
    }
}
