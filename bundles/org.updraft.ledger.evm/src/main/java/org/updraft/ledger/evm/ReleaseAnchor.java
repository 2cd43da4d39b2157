package org.updraft.ledger.evm;

/**
 * Where a release is recorded on chain: the {@code ReleasePublished} event log of the registry contract.
 *
 * @param releaseId the release, {@code vendor/class/sequence}
 * @param chainId the chain's EIP-155 id
 * @param contract the registry contract's address
 * @param transactionHash the transaction that recorded it, {@code 0x} + 64 hex digits
 * @param blockNumber the block holding that transaction
 * @param logIndex the position of the event log in that block
 * @param ledgerIndex the release event's index in the platform's local transparency log
 */
public record ReleaseAnchor(String releaseId, long chainId, String contract, String transactionHash, long blockNumber,
        long logIndex, long ledgerIndex) {
}
