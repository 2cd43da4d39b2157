package org.updraft.ledger.evm;

/**
 * A transparency-log checkpoint as the chain holds it.
 *
 * @param number its position among the anchored checkpoints, from 0
 * @param treeSize number of log events it covers
 * @param rootHash RFC 9162 Merkle root of those events
 * @param blockNumber the block that anchored it
 */
public record AnchoredCheckpoint(long number, long treeSize, byte[] rootHash, long blockNumber) {

    public AnchoredCheckpoint {
        rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }
}
