package org.updraft.api.store;

/** A stored block does not match its hash: the bytes on disk (or from the network) were altered. */
public class CorruptObjectException extends StoreException {

    private static final long serialVersionUID = 1L;

    public CorruptObjectException(String message) {
        super(message);
    }
}
