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
 */
public final class LedgerFollower {

    private static final int PAGE = 1000;

    private final Ledger ledger;
    private final Consumer<LedgerEntry> view;
    /** Number of events already handed to the view. */
    private long followed;

    public LedgerFollower(Ledger ledger, Consumer<LedgerEntry> view) {
        this.ledger = ledger;
        this.view = view;
    }

    /** Hands the events appended since the last call to the view. */
    public void catchUp() throws LedgerException {
        while (followed < ledger.size()) {
            List<LedgerEntry> page = ledger.read(followed, PAGE);
            if (page.isEmpty()) {
                return;
            }
            for (LedgerEntry entry : page) {
                view.accept(entry);
                followed = entry.index() + 1;
            }
        }
    }

    public long followed() {
        return followed;
    }
}
