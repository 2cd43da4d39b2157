package org.updraft.api.ledger;

/**
 * An event as it stands in the log.
 *
 * @param index its position, from 0
 * @param event the event
 * @param leafHash its RFC 9162 leaf hash as the log stored it
 */
public record LedgerEntry(long index, LedgerEvent event, byte[] leafHash) {

    public LedgerEntry {
        leafHash = leafHash.clone();
    }

    @Override
    public byte[] leafHash() {
        return leafHash.clone();
    }
}
