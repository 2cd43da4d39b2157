package org.updraft.core.log;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;

/**
 * RFC 9162 §2.1 Merkle tree hashes and proofs. Generation reads perfect-subtree hashes from a
 * {@link SubtreeHashes}, so a log answers with O(log n) lookups; verification needs only the proof, the leaf
 * hash, the sizes and the root hashes, which is all a device has.
 *
 * <p>Proof paths are bottom-up lists of 32-byte hashes, exactly as RFC 9162 §2.1.3.1 ({@code PATH}) and
 * §2.1.4.1 ({@code PROOF}) define them.
 */
public final class MerkleTree {

    private MerkleTree() {
    }

    // ---------------------------------------------------------------- generation

    /** {@code MTH(D[0:treeSize])}: the root hash of the first {@code treeSize} leaves. */
    public static byte[] rootHash(SubtreeHashes tree, long treeSize) {
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size " + treeSize + " is negative");
        }
        return treeSize == 0 ? MerkleHash.emptyTreeHash() : nodeRangeHash(tree, 0, treeSize);
    }

    /**
     * The audit path of leaf {@code index} in the tree of {@code treeSize} leaves (RFC 9162 §2.1.3.1), bottom-up.
     *
     * @throws IllegalArgumentException unless {@code 0 <= index < treeSize}
     */
    public static List<byte[]> inclusionPath(SubtreeHashes tree, long index, long treeSize) {
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("leaf " + index + " is not in a tree of " + treeSize + " leaves");
        }
        List<byte[]> topDown = new ArrayList<>();
        long start = 0;
        long end = treeSize;
        while (end - start > 1) {
            long k = splitPoint(end - start);
            if (index - start < k) {
                topDown.add(nodeRangeHash(tree, start + k, end));
                end = start + k;
            } else {
                topDown.add(nodeRangeHash(tree, start, start + k));
                start += k;
            }
        }
        Collections.reverse(topDown);
        return topDown;
    }

    /** {@link #inclusionPath} as the API's proof record. */
    public static InclusionProof inclusionProof(SubtreeHashes tree, long index, long treeSize) {
        return new InclusionProof(index, treeSize, inclusionPath(tree, index, treeSize));
    }

    /**
     * The consistency path from the tree of {@code firstSize} leaves to the tree of {@code secondSize} leaves
     * (RFC 9162 §2.1.4.1), bottom-up; empty when {@code firstSize} is 0 or equals {@code secondSize}.
     *
     * @throws IllegalArgumentException unless {@code 0 <= firstSize <= secondSize}
     */
    public static List<byte[]> consistencyPath(SubtreeHashes tree, long firstSize, long secondSize) {
        if (firstSize < 0 || firstSize > secondSize) {
            throw new IllegalArgumentException(
                    "no consistency proof from tree size " + firstSize + " to tree size " + secondSize);
        }
        if (firstSize == 0 || firstSize == secondSize) {
            return new ArrayList<>();
        }
        // SUBPROOF(m, D[start:end], b), unrolled: each step descends into the child that holds the first
        // tree's right edge and records the other child.
        List<byte[]> topDown = new ArrayList<>();
        long m = firstSize;
        long start = 0;
        long end = secondSize;
        boolean wholeFirstTree = true;
        while (true) {
            long n = end - start;
            if (m == n) {
                if (!wholeFirstTree) {
                    topDown.add(nodeRangeHash(tree, start, end));
                }
                break;
            }
            long k = splitPoint(n);
            if (m <= k) {
                topDown.add(nodeRangeHash(tree, start + k, end));
                end = start + k;
            } else {
                topDown.add(nodeRangeHash(tree, start, start + k));
                m -= k;
                start += k;
                wholeFirstTree = false;
            }
        }
        Collections.reverse(topDown);
        return topDown;
    }

    /** {@link #consistencyPath} as the API's proof record. */
    public static ConsistencyProof consistencyProof(SubtreeHashes tree, long firstSize, long secondSize) {
        return new ConsistencyProof(firstSize, secondSize, consistencyPath(tree, firstSize, secondSize));
    }

    /**
     * {@code MTH(D[start:end])} for a node of the tree: {@code [start, end)} is a perfect subtree or lies on the
     * right edge of a tree of {@code end} leaves. Costs one lookup per set bit of {@code end - start}.
     */
    static byte[] nodeRangeHash(SubtreeHashes tree, long start, long end) {
        long n = end - start;
        if (Long.bitCount(n) == 1 && start % n == 0) {
            int height = Long.numberOfTrailingZeros(n);
            return tree.perfectSubtreeHash(height, start >>> height);
        }
        long k = splitPoint(n);
        return MerkleHash.nodeHash(nodeRangeHash(tree, start, start + k), nodeRangeHash(tree, start + k, end));
    }

    /** The largest power of two smaller than {@code n}, for {@code n >= 2}: where RFC 9162 splits a tree. */
    static long splitPoint(long n) {
        return Long.highestOneBit(n - 1);
    }

    // ---------------------------------------------------------------- verification

    /**
     * Checks an inclusion proof (RFC 9162 §2.1.3.2): that the leaf with hash {@code leafHash} is leaf
     * {@code index} of the tree of {@code treeSize} leaves whose root is {@code rootHash}.
     */
    public static void verifyInclusion(byte[] leafHash, long index, long treeSize, List<byte[]> path,
            byte[] rootHash) throws InvalidProofException {
        requireProofHash(rootHash, "root hash");
        byte[] computed = rootFromInclusionPath(leafHash, index, treeSize, path);
        if (!Arrays.equals(computed, rootHash)) {
            throw new InvalidProofException("inclusion proof for leaf " + index + " of " + treeSize
                    + " does not lead to the given root hash");
        }
    }

    /** Checks {@code proof} for the leaf with hash {@code leafHash} against {@code rootHash}. */
    public static void verifyInclusion(InclusionProof proof, byte[] leafHash, byte[] rootHash)
            throws InvalidProofException {
        verifyInclusion(leafHash, proof.leafIndex(), proof.treeSize(), proof.path(), rootHash);
    }

    /**
     * The root hash that an inclusion path leads to from leaf {@code index} of a tree of {@code treeSize} leaves;
     * fails when the path has the wrong length for that position.
     */
    public static byte[] rootFromInclusionPath(byte[] leafHash, long index, long treeSize, List<byte[]> path)
            throws InvalidProofException {
        requireProofHash(leafHash, "leaf hash");
        if (index < 0 || index >= treeSize) {
            throw new InvalidProofException("leaf " + index + " is not in a tree of " + treeSize + " leaves");
        }
        long fn = index;
        long sn = treeSize - 1;
        byte[] r = leafHash;
        int i = 0;
        for (byte[] p : path) {
            requireProofHash(p, "inclusion path hash " + i);
            if (sn == 0) {
                throw new InvalidProofException("inclusion proof for leaf " + index + " of " + treeSize
                        + " has " + path.size() + " hashes, more than that position needs");
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = MerkleHash.nodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                r = MerkleHash.nodeHash(r, p);
            }
            fn >>>= 1;
            sn >>>= 1;
            i++;
        }
        if (sn != 0) {
            throw new InvalidProofException("inclusion proof for leaf " + index + " of " + treeSize + " has only "
                    + path.size() + " hashes, fewer than that position needs");
        }
        return r;
    }

    /**
     * Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of {@code firstSize} leaves with root
     * {@code firstRoot} is a prefix of the tree of {@code secondSize} leaves with root {@code secondRoot}. Equal
     * sizes need an empty path and equal roots; a first size of 0 needs an empty path and the empty-tree root.
     */
    public static void verifyConsistency(long firstSize, long secondSize, List<byte[]> path, byte[] firstRoot,
            byte[] secondRoot) throws InvalidProofException {
        requireProofHash(firstRoot, "first root hash");
        requireProofHash(secondRoot, "second root hash");
        if (firstSize < 0 || firstSize > secondSize) {
            throw new InvalidProofException(
                    "no consistency proof can lead from tree size " + firstSize + " to tree size " + secondSize);
        }
        String what = "consistency proof from " + firstSize + " to " + secondSize;
        if (firstSize == 0 || firstSize == secondSize) {
            if (!path.isEmpty()) {
                throw new InvalidProofException(what + " must be empty but has " + path.size() + " hashes");
            }
            if (firstSize == 0 && !Arrays.equals(firstRoot, MerkleHash.emptyTreeHash())) {
                throw new InvalidProofException("the first root is not the root of the empty tree");
            }
            if (firstSize == secondSize && !Arrays.equals(firstRoot, secondRoot)) {
                throw new InvalidProofException("two trees of " + firstSize + " leaves have different roots");
            }
            return;
        }
        if (path.isEmpty()) {
            throw new InvalidProofException(what + " is empty");
        }
        List<byte[]> hashes = new ArrayList<>(path.size() + 1);
        if (Long.bitCount(firstSize) == 1) {
            // The first tree is a perfect subtree of the second; the proof leaves its root out.
            hashes.add(firstRoot);
        }
        int i = 0;
        for (byte[] c : path) {
            requireProofHash(c, "consistency path hash " + i++);
            hashes.add(c);
        }
        long fn = firstSize - 1;
        long sn = secondSize - 1;
        while ((fn & 1) == 1) {
            fn >>>= 1;
            sn >>>= 1;
        }
        byte[] fr = hashes.get(0);
        byte[] sr = hashes.get(0);
        for (byte[] c : hashes.subList(1, hashes.size())) {
            if (sn == 0) {
                throw new InvalidProofException(what + " has " + path.size() + " hashes, more than it needs");
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = MerkleHash.nodeHash(c, fr);
                sr = MerkleHash.nodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>>= 1;
                    sn >>>= 1;
                }
            } else {
                sr = MerkleHash.nodeHash(sr, c);
            }
            fn >>>= 1;
            sn >>>= 1;
        }
        if (sn != 0) {
            throw new InvalidProofException(what + " has only " + path.size() + " hashes, fewer than it needs");
        }
        if (!Arrays.equals(fr, firstRoot)) {
            throw new InvalidProofException(what + " does not lead to the first root hash");
        }
        if (!Arrays.equals(sr, secondRoot)) {
            throw new InvalidProofException(what + " does not lead to the second root hash");
        }
    }

    /** Checks {@code proof} against the roots of its two trees. */
    public static void verifyConsistency(ConsistencyProof proof, byte[] firstRoot, byte[] secondRoot)
            throws InvalidProofException {
        verifyConsistency(proof.firstSize(), proof.secondSize(), proof.path(), firstRoot, secondRoot);
    }

    private static void requireProofHash(byte[] hash, String what) throws InvalidProofException {
        if (hash == null) {
            throw new InvalidProofException(what + " is missing");
        }
        if (hash.length != MerkleHash.SIZE) {
            throw new InvalidProofException(what + " has " + hash.length + " bytes, not " + MerkleHash.SIZE);
        }
    }
}
