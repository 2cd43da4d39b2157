package org.updraft.benchmarks;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the load clients do with a 5.03 (the server shedding load): count it, not fail, and ask again after a short
 * pause. Not the Max-Age a real device waits (30 s and more), so that a round keeps its devices.
 */
final class ShedPause {

    static final long MILLIS = 100;

    private static final ScheduledExecutorService PAUSES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-shed-pauses");
        t.setDaemon(true);
        return t;
    });

    private ShedPause() {
    }

    /** Runs {@code again} after the pause. */
    static void then(Runnable again) {
        PAUSES.schedule(again, MILLIS, TimeUnit.MILLISECONDS);
    }
}
