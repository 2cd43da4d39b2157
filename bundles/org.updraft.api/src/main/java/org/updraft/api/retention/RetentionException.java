package org.updraft.api.retention;

/** A retention run could not decide: the ledger, the registry or the store could not be read. */
public class RetentionException extends Exception {

    private static final long serialVersionUID = 1L;

    public RetentionException(String message, Throwable cause) {
        super(message, cause);
    }
}
