package org.updraft.api.store;

import java.io.IOException;

/** A store operation failed; the message says why in words an operator understands. */
public class StoreException extends IOException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
