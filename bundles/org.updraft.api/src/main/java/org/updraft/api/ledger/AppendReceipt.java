package org.updraft.api.ledger;

/**
 * What {@link Ledger#append} acknowledges: the event is durable at {@code index}.
 *
 * @param index the event's position, from 0
 * @param leafHash its RFC 9162 leaf hash
 */
public record AppendReceipt(long index, byte[] leafHash) {

    public AppendReceipt {
        leafHash = leafHash.clone();
    }

    @Override
    public byte[] leafHash() {
        return leafHash.clone();
    }
}
