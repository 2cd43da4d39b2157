package org.updraft.platform.internal;

import org.updraft.api.ledger.LedgerException;

/**
 * A call to the chosen ledger while that backend is not running: at start, before its feature's bundles have come up,
 * or after it was uninstalled. Told apart from a ledger that runs and fails, so that views do not warn about the
 * first (every call that needs the ledger says so, and so does {@code updraft:status}).
 */
final class BackendNotRunningException extends LedgerException {

    private static final long serialVersionUID = 1L;

    BackendNotRunningException(String message) {
        super(message);
    }
}
