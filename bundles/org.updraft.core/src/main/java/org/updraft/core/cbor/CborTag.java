package org.updraft.core.cbor;

/** A tagged CBOR data item (major type 6), such as the COSE_Sign1 tag 18. */
public record CborTag(long tag, Object value) {
}
