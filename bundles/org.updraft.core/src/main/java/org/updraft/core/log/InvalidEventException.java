package org.updraft.core.log;

/** Bytes that are not the leaf bytes of a ledger event; the message says what is wrong. */
public final class InvalidEventException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidEventException(String message) {
        super(message);
    }
}
