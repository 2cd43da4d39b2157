package org.updraft.api.ledger;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A transparency-log checkpoint as a blockchain holds it: the tree size and RFC 9162 root the chain's registry
 * contract recorded. The local log must extend every one of them: an event altered, removed or inserted before an
 * anchored checkpoint shows as a consistency proof from its tree size that no longer reaches its root, however the
 * local checkpoints were re-signed.
 *
 * @param chainId the chain's EIP-155 id, e.g. 1 for Ethereum, 4689 for IoTeX
 * @param contract the registry contract's address, {@code 0x} + 40 lowercase hex digits
 * @param number its position among the checkpoints anchored on that contract, from 0
 * @param treeSize number of log events it covers
 * @param rootHash RFC 9162 Merkle tree hash of those events, 32 bytes
 * @param blockNumber the block that recorded it
 */
public record CheckpointAnchor(long chainId, String contract, long number, long treeSize, byte[] rootHash,
        long blockNumber) {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-f]{40}");

    /** Normalises the address to lowercase; refuses what is not an address, a 32-byte root or an unsigned number. */
    public CheckpointAnchor {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(rootHash, "rootHash");
        contract = contract.toLowerCase(Locale.ROOT);
        if (chainId <= 0) {
            throw new IllegalArgumentException("checkpoint anchor: chain id must be positive, not " + chainId);
        }
        if (!ADDRESS.matcher(contract).matches()) {
            throw new IllegalArgumentException("checkpoint anchor: contract must be 0x and 40 hex digits, not '"
                    + contract + "'");
        }
        if (rootHash.length != 32) {
            throw new IllegalArgumentException("checkpoint anchor: root hash must be 32 bytes, not "
                    + rootHash.length);
        }
        if (number < 0 || treeSize < 0 || blockNumber < 0) {
            throw new IllegalArgumentException("checkpoint anchor: number, tree size and block must not be negative");
        }
        rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** Where it is, for an operator: {@code anchored checkpoint #3 (block 812 of chain 4689, contract 0x…)}. */
    @Override
    public String toString() {
        return "anchored checkpoint #" + number + " (block " + blockNumber + " of chain " + chainId + ", contract "
                + contract + ")";
    }
}
