package org.updraft.core.update;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.core.log.InvalidProofException;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.VerificationException;

/**
 * What a device remembers of the transparency log: the largest checkpoint it verified, as tree size and root.
 * Signatures alone cannot stop whoever holds the log key from showing one device a log in which a release is
 * recorded and the auditors another; one log must only ever grow. So every other checkpoint the device is
 * shown must be consistent with this one (RFC 9162 §2.1.4), proven by the platform, before the device acts on
 * the offer that carries it. A device that has verified none yet trusts its first one.
 *
 * @param treeSize the checkpoint's tree size
 * @param rootHash its root hash, 32 bytes
 */
public record TrustedCheckpoint(long treeSize, byte[] rootHash) {

    public TrustedCheckpoint {
        if (treeSize < 0) {
            throw new IllegalArgumentException("a tree size cannot be negative: " + treeSize);
        }
        Objects.requireNonNull(rootHash, "rootHash");
        if (rootHash.length != MerkleHash.SIZE) {
            throw new IllegalArgumentException("a root hash has " + MerkleHash.SIZE + " bytes, not " + rootHash.length);
        }
        rootHash = rootHash.clone();
    }

    /** The tree size and root of a checkpoint whose signature was verified. */
    public static TrustedCheckpoint of(Checkpoint verified) {
        return new TrustedCheckpoint(verified.treeSize(), verified.rootHash());
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** Whether {@code seen} is of another tree size, so that a consistency proof must link the two. */
    public boolean needsProof(Checkpoint seen) {
        return seen.treeSize() != treeSize;
    }

    /** The smaller of the two tree sizes: where the proof the device asks for starts. */
    public long proofFrom(Checkpoint seen) {
        return Math.min(treeSize, seen.treeSize());
    }

    /** The larger of the two tree sizes: where the proof the device asks for ends. */
    public long proofTo(Checkpoint seen) {
        return Math.max(treeSize, seen.treeSize());
    }

    /**
     * Checks that {@code seen} and this checkpoint are of one log, and returns the checkpoint to remember from
     * now on: the larger one.
     *
     * @param seen a checkpoint whose signature was verified
     * @param proof the consistency proof between the two tree sizes, or {@code null} when the platform gave none
     *        (enough only when the sizes are equal)
     * @throws VerificationException {@link Failure#LOG_FORK} when they are not
     */
    public TrustedCheckpoint extend(Checkpoint seen, ConsistencyProof proof) throws VerificationException {
        byte[] seenRoot = seen.rootHash();
        if (!needsProof(seen)) {
            if (!Arrays.equals(rootHash, seenRoot)) {
                throw new VerificationException(Failure.LOG_FORK, "two checkpoints of " + treeSize
                        + " events with different roots: " + hex(rootHash) + " and " + hex(seenRoot));
            }
            return this;
        }
        long from = proofFrom(seen);
        long to = proofTo(seen);
        if (proof == null) {
            throw new VerificationException(Failure.LOG_FORK, "no consistency proof from " + from + " to " + to
                    + " events");
        }
        if (proof.firstSize() != from || proof.secondSize() != to) {
            throw new VerificationException(Failure.LOG_FORK, "the consistency proof is from " + proof.firstSize()
                    + " to " + proof.secondSize() + " events, not from " + from + " to " + to);
        }
        boolean grows = seen.treeSize() > treeSize;
        try {
            MerkleTree.verifyConsistency(proof, grows ? rootHash : seenRoot, grows ? seenRoot : rootHash);
        } catch (InvalidProofException e) {
            throw new VerificationException(Failure.LOG_FORK, "the checkpoint of " + seen.treeSize()
                    + " events does not extend the one of " + treeSize + " this device verified before: "
                    + e.getMessage());
        }
        return grows ? of(seen) : this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustedCheckpoint t && t.treeSize == treeSize && Arrays.equals(t.rootHash, rootHash);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(treeSize) * 31 + Arrays.hashCode(rootHash);
    }

    @Override
    public String toString() {
        return "TrustedCheckpoint[" + treeSize + " events, root " + hex(rootHash) + "]";
    }

    private static String hex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }
}
