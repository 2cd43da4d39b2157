package org.updraft.core.identity;

/** A key file could not be read or written: missing, not a key, corrupt, or the passphrase is wrong. */
public class KeyFileException extends Exception {

    private static final long serialVersionUID = 1L;

    public KeyFileException(String message) {
        super(message);
    }

    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
