package org.updraft.api.trust;

/** A trust change was refused; the message says why. */
public class TrustException extends Exception {

    private static final long serialVersionUID = 1L;

    public TrustException(String message) {
        super(message);
    }

    public TrustException(String message, Throwable cause) {
        super(message, cause);
    }
}
