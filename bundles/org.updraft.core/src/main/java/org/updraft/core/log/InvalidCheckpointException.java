package org.updraft.core.log;

/** A signed checkpoint is malformed or its signature does not verify; the message says which. */
public final class InvalidCheckpointException extends Exception {

    private static final long serialVersionUID = 1L;

    public InvalidCheckpointException(String message) {
        super(message);
    }
}
