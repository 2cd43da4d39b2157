package org.updraft.api.ledger;

import java.util.List;

/**
 * RFC 9162 §2.1.4 consistency proof that the tree of {@code firstSize} leaves is a prefix of the tree of
 * {@code secondSize} leaves.
 */
public record ConsistencyProof(long firstSize, long secondSize, List<byte[]> path) {

    public ConsistencyProof {
        path = path.stream().map(byte[]::clone).toList();
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }
}
