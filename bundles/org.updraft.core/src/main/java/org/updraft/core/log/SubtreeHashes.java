package org.updraft.core.log;

/**
 * Where proof generation gets its hashes: the root of any perfect subtree of a log, that is the Merkle tree
 * hash of the {@code 2^height} leaves {@code [index * 2^height, (index + 1) * 2^height)}. Height 0 is a leaf
 * hash. Every subtree requested lies within the tree size the caller passed to {@link MerkleTree}; a log
 * that keeps these hashes (or the upper levels of them) serves any root or proof with O(log n) lookups.
 *
 * <p>An implementation that reads storage may throw an unchecked exception (such as
 * {@link java.io.UncheckedIOException}); {@link MerkleTree} passes it on unchanged.
 */
@FunctionalInterface
public interface SubtreeHashes {

    /**
     * The hash of the perfect subtree of height {@code height} (0 to 62) at position {@code index} on its
     * level, a fresh array the caller may keep.
     */
    byte[] perfectSubtreeHash(int height, long index);
}
