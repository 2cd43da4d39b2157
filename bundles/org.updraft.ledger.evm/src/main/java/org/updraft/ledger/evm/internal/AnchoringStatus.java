package org.updraft.ledger.evm.internal;

import java.time.Instant;

/**
 * Where anchoring stands.
 *
 * @param examined local-log events examined so far (anchored, refused or not needing an anchor)
 * @param checkpointTreeSize tree size of the newest checkpoint anchored on chain
 * @param transactions transactions this process sent since it started
 * @param refused events the contract refused since this process started
 * @param chainReachable whether the last attempt to reach the chain succeeded
 * @param lastError the last failure to reach or use the chain, or {@code null}
 * @param lastErrorTime when it happened, or {@code null}
 * @param standingByFor on a ledger several nodes share, the node that anchors it while this one stands by; {@code null}
 *        when this node anchors
 */
public record AnchoringStatus(long examined, long checkpointTreeSize, long transactions, long refused,
        boolean chainReachable, String lastError, Instant lastErrorTime, String standingByFor) {
}
