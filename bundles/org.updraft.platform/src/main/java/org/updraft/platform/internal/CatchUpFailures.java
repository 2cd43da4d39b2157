package org.updraft.platform.internal;

import org.slf4j.Logger;
import org.updraft.api.ledger.LedgerException;

/**
 * How a view logs that it could not read new ledger events: once when it starts failing (WARN), then DEBUG while it
 * goes on failing, and once when it reads again (INFO); a view is read on every device request and shell command,
 * so a database outage would otherwise put a line in the log for each. A chosen backend that is not running yet (at
 * start, before its feature's bundles are up) is DEBUG only.
 */
final class CatchUpFailures {

    private final Logger log;
    private final String view;
    private boolean failing;

    CatchUpFailures(Logger log, String view) {
        this.log = log;
        this.view = view;
    }

    synchronized void failed(LedgerException e) {
        if (e instanceof BackendNotRunningException || failing) {
            log.debug("{} could not read new ledger events: {}", view, e.getMessage());
            return;
        }
        failing = true;
        log.warn("{} could not read new ledger events: {}; it serves what it read so far until the ledger answers",
                view, e.getMessage());
    }

    synchronized void succeeded() {
        if (failing) {
            failing = false;
            log.info("{} reads new ledger events again", view);
        }
    }
}
