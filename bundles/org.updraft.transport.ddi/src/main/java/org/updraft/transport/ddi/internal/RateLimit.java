package org.updraft.transport.ddi.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * At most {@code perSecond} requests a second for each token and device, counted in whole seconds of a monotonic
 * clock: a client in a loop, or someone holding a stolen token, cannot keep the platform's threads and ledger busy.
 * A gateway token acts for many devices, so it is counted per device too. 0 turns the limit off.
 */
final class RateLimit {

    /** Keys kept at most; beyond that, the keys of earlier seconds are dropped first. */
    static final int MAX_KEYS = 100_000;

    private final int perSecond;
    private final LongSupplier nanoClock;
    private final Map<String, long[]> windows = new HashMap<>();

    RateLimit(int perSecond, LongSupplier nanoClock) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("a rate limit cannot be negative: " + perSecond);
        }
        this.perSecond = perSecond;
        this.nanoClock = nanoClock;
    }

    /** Whether one more request of this key fits in the current second; counts it when it does. */
    synchronized boolean admit(String key) {
        if (perSecond == 0) {
            return true;
        }
        long second = nanoClock.getAsLong() / 1_000_000_000L;
        long[] w = windows.get(key);
        if (w == null) {
            if (windows.size() >= MAX_KEYS) {
                evictBefore(second);
            }
            windows.put(key, new long[] {second, 1});
            return true;
        }
        if (w[0] != second) {
            w[0] = second;
            w[1] = 1;
            return true;
        }
        if (w[1] >= perSecond) {
            return false;
        }
        w[1]++;
        return true;
    }

    private void evictBefore(long second) {
        for (Iterator<long[]> it = windows.values().iterator(); it.hasNext();) {
            if (it.next()[0] < second) {
                it.remove();
            }
        }
        if (windows.size() >= MAX_KEYS) {
            windows.clear(); // all in this second: forget them rather than grow
        }
    }
}
