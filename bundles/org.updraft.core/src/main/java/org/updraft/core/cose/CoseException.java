package org.updraft.core.cose;

/** Bytes that are not a well-formed COSE_Sign1 of the kind expected; the message says what is wrong. */
public class CoseException extends Exception {

    private static final long serialVersionUID = 1L;

    public CoseException(String message) {
        super(message);
    }
}
