package org.updraft.api.ledger;

import java.util.List;

/**
 * RFC 9162 §2.1.3 inclusion proof: the audit path from leaf {@code leafIndex} to the root of the tree of
 * {@code treeSize} leaves, bottom-up.
 */
public record InclusionProof(long leafIndex, long treeSize, List<byte[]> path) {

    public InclusionProof {
        path = path.stream().map(byte[]::clone).toList();
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }
}
