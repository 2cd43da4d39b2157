package org.updraft.core.log;

import java.util.List;
import java.util.function.Consumer;

import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;

/**
 * Keeps a view of the ledger (trust, releases, rollouts) up to date: hands each event appended since the last call,
 * in order, to the view. Whoever appended them, this node or another, the view ends up the same. Not
 * thread-safe; its owner synchronizes.
 *
 * <p>The ledger behind a view can be swapped while it runs (the platform's backend switch). Backends over the same
 * log (the local log, and the EVM ledger anchoring it) continue one another. A different log — another log key, or
 * fewer events than were followed — is replayed from its start: the view is reset first.
 */
public final class LedgerFollower {

    private static final int PAGE = 1000;

    private final Ledger ledger;
    private final Consumer<LedgerEntry> view;
    private final Runnable reset;
    /** Number of events already handed to the view. */
    private long followed;
    /** The log key of the log followed, once known. */
    private String logKey;

    /**
     * @param reset empties the view, before the events of a different log are replayed into it
     */
    public LedgerFollower(Ledger ledger, Consumer<LedgerEntry> view, Runnable reset) {
        this.ledger = ledger;
        this.view = view;
        this.reset = reset;
    }

    /** Hands the events appended since the last call to the view. */
    public void catchUp() throws LedgerException {
        String key = ledger.logKey();
        long size = ledger.size();
        if (logKey != null && (!logKey.equals(key) || size < followed)) {
            reset.run();
            followed = 0;
        }
        logKey = key;
        while (followed < size) {
            List<LedgerEntry> page = ledger.read(followed, PAGE);
            if (page.isEmpty()) {
                return;
            }
            for (LedgerEntry entry : page) {
                view.accept(entry);
                followed = entry.index() + 1;
            }
            if (followed >= size) {
                size = ledger.size(); // appended meanwhile
            }
        }
    }

    /** Number of events handed to the view. */
    public long followed() {
        return followed;
    }
}
