package org.updraft.ledger.local.internal;

/**
 * How many group commits (one fsync each) a FileLedger has made. FileLedger keeps the count package-private;
 * this class sits in the same package on the benchmark's plain classpath (no OSGi here) to read it.
 */
public final class LedgerCommits {

    private LedgerCommits() {
    }

    public static long of(FileLedger ledger) {
        return ledger.commits();
    }
}
