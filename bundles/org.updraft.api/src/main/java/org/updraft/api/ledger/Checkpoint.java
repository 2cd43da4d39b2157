package org.updraft.api.ledger;

import java.time.Instant;

/**
 * A signed statement of the log's state: its size and Merkle root at a time.
 *
 * @param origin the log's name, so a checkpoint of one log is never taken for another's
 * @param treeSize number of events covered
 * @param rootHash RFC 9162 Merkle tree hash of those events
 * @param timestamp when the log signed it, to the millisecond
 * @param envelope the signed form a device verifies: a COSE_Sign1 by the log key whose payload encodes the
 *        four fields above (see {@code org.updraft.core.log.CheckpointCodec})
 */
public record Checkpoint(String origin, long treeSize, byte[] rootHash, Instant timestamp, byte[] envelope) {

    public Checkpoint {
        rootHash = rootHash.clone();
        envelope = envelope.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public byte[] envelope() {
        return envelope.clone();
    }
}
