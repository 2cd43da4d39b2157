package org.updraft.api.ledger;

/** A ledger operation failed; the message says why in words an operator understands. */
public class LedgerException extends Exception {

    private static final long serialVersionUID = 1L;

    public LedgerException(String message) {
        super(message);
    }

    public LedgerException(String message, Throwable cause) {
        super(message, cause);
    }
}
