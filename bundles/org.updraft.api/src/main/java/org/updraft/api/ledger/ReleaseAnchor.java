package org.updraft.api.ledger;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a published release is recorded on a blockchain: the event log the chain's registry contract emitted
 * when it recorded the release. With these an auditor checks the release from any node of that chain
 * ({@code eth_getTransactionReceipt} of {@code transactionHash}: the log at {@code logIndex}, emitted by
 * {@code contract}, in block {@code blockNumber}); no platform is trusted for it.
 *
 * @param chainId the chain's EIP-155 id, e.g. 1 for Ethereum, 4689 for IoTeX
 * @param contract the registry contract's address, {@code 0x} + 40 lowercase hex digits
 * @param transactionHash the transaction that recorded the release, {@code 0x} + 64 lowercase hex digits
 * @param blockNumber the block holding that transaction
 * @param logIndex the position of the release's event log among the logs of that block
 */
public record ReleaseAnchor(long chainId, String contract, String transactionHash, long blockNumber,
        long logIndex) {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-f]{40}");
    private static final Pattern HASH = Pattern.compile("0x[0-9a-f]{64}");

    /** Normalises hex to lowercase; refuses what is not an address, a hash or an unsigned number. */
    public ReleaseAnchor {
        Objects.requireNonNull(contract, "contract");
        Objects.requireNonNull(transactionHash, "transactionHash");
        contract = contract.toLowerCase(Locale.ROOT);
        transactionHash = transactionHash.toLowerCase(Locale.ROOT);
        if (chainId <= 0) {
            throw new IllegalArgumentException("release anchor: chain id must be positive, not " + chainId);
        }
        if (!ADDRESS.matcher(contract).matches()) {
            throw new IllegalArgumentException("release anchor: contract must be 0x and 40 hex digits, not '"
                    + contract + "'");
        }
        if (!HASH.matcher(transactionHash).matches()) {
            throw new IllegalArgumentException("release anchor: transaction hash must be 0x and 64 hex digits, not '"
                    + transactionHash + "'");
        }
        if (blockNumber < 0 || logIndex < 0) {
            throw new IllegalArgumentException("release anchor: block number and log index must not be negative");
        }
    }
}
