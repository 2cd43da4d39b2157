package org.updraft.ledger.evm.internal;

/** The chain node could not be reached or answered nothing usable: anchoring waits and tries again. */
final class ChainUnreachableException extends Exception {

    private static final long serialVersionUID = 1L;

    ChainUnreachableException(String message) {
        super(message);
    }

    ChainUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
