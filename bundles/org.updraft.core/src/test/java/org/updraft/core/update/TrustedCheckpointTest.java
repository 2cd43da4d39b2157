package org.updraft.core.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.VerificationException;

class TrustedCheckpointTest {

    private final SigningKey logKey = SigningKey.generate(KeyAlgorithm.ED25519);

    private static MemoryMerkleTree log(int size, int salt) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            leaves.add(MerkleHash.leafHash(new byte[] {(byte) salt, (byte) i}));
        }
        return MemoryMerkleTree.of(leaves);
    }

    private Checkpoint checkpoint(MemoryMerkleTree tree, long size) {
        return CheckpointCodec.sign("test", size, MerkleTree.rootHash(tree, size), Instant.now(), logKey);
    }

    @Test
    void aLogThatGrewIsFollowedAndTheLargerCheckpointKept() throws Exception {
        MemoryMerkleTree tree = log(20, 1);
        TrustedCheckpoint known = TrustedCheckpoint.of(checkpoint(tree, 7));
        Checkpoint seen = checkpoint(tree, 20);
        assertTrue(known.needsProof(seen));
        assertEquals(7, known.proofFrom(seen));
        assertEquals(20, known.proofTo(seen));

        TrustedCheckpoint next = known.extend(seen, MerkleTree.consistencyProof(tree, 7, 20));
        assertEquals(TrustedCheckpoint.of(seen), next);

        // an older checkpoint of the same log, proven the other way round: the device keeps the larger one
        Checkpoint older = checkpoint(tree, 3);
        assertSame(next, next.extend(older, MerkleTree.consistencyProof(tree, 3, 20)));
        // the same size and root needs no proof
        assertFalse(next.needsProof(seen));
        assertSame(next, next.extend(seen, null));
    }

    @Test
    void anythingButAProofOfOneLogIsALogFork() {
        MemoryMerkleTree honest = log(20, 1);
        MemoryMerkleTree forked = log(20, 2);
        TrustedCheckpoint known = TrustedCheckpoint.of(checkpoint(honest, 7));
        Checkpoint fork = checkpoint(forked, 20);

        assertFork("does not extend", () -> known.extend(fork, MerkleTree.consistencyProof(forked, 7, 20)));
        assertFork("no consistency proof", () -> known.extend(fork, null));
        assertFork("not from 7 to 20",
                () -> known.extend(checkpoint(honest, 20), MerkleTree.consistencyProof(honest, 6, 20)));
        assertFork("different roots", () -> known.extend(checkpoint(forked, 7), null));
        ConsistencyProof truncated = MerkleTree.consistencyProof(honest, 7, 20);
        List<byte[]> path = new ArrayList<>(truncated.path());
        path.remove(path.size() - 1);
        assertFork("does not extend",
                () -> known.extend(checkpoint(honest, 20), new ConsistencyProof(7, 20, path)));
    }

    @Test
    void theWireFormRoundTripsAndRefusesWhatNoProofIs() throws Exception {
        MemoryMerkleTree tree = log(20, 1);
        ConsistencyProof proof = MerkleTree.consistencyProof(tree, 7, 20);
        ConsistencyProof back = UpdateAnswers.decodeConsistency(UpdateAnswers.encodeConsistency(proof));
        assertEquals(7, back.firstSize());
        assertEquals(20, back.secondSize());
        assertEquals(proof.path().size(), back.path().size());
        for (int i = 0; i < proof.path().size(); i++) {
            assertArrayEquals(proof.path().get(i), back.path().get(i));
        }
        UpdateFormatException backwards = assertThrows(UpdateFormatException.class, () -> UpdateAnswers
                .decodeConsistency(UpdateAnswers.encodeConsistency(new ConsistencyProof(20, 7, List.of()))));
        assertTrue(backwards.getMessage().contains("backwards"), backwards.getMessage());
        List<byte[]> tooMany = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            tooMany.add(new byte[32]);
        }
        UpdateFormatException many = assertThrows(UpdateFormatException.class, () -> UpdateAnswers
                .decodeConsistency(UpdateAnswers.encodeConsistency(new ConsistencyProof(1, 2, tooMany))));
        assertTrue(many.getMessage().contains("more than any proof has"), many.getMessage());
    }

    private interface Extension {
        TrustedCheckpoint run() throws VerificationException;
    }

    private static void assertFork(String mention, Extension extension) {
        VerificationException e = assertThrows(VerificationException.class, extension::run);
        assertEquals(Failure.LOG_FORK, e.failure());
        assertTrue(e.getMessage().contains(mention), e.getMessage() + " should mention " + mention);
    }
}
