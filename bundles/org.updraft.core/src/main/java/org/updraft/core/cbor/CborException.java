package org.updraft.core.cbor;

/** Bytes that are not deterministic CBOR, or a value that cannot be encoded; the message says where. */
public class CborException extends Exception {

    private static final long serialVersionUID = 1L;

    public CborException(String message) {
        super(message);
    }
}
