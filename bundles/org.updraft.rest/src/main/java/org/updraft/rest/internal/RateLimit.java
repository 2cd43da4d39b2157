package org.updraft.rest.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * At most {@code perSecond} requests in each second of a monotonic clock per caller (a user or a token): a script in
 * a loop, or a stolen token, cannot keep the platform busy. 0 turns it off.
 */
final class RateLimit {

    private static final int MAX_CALLERS = 10_000;

    private final IntSupplier perSecond;
    private final LongSupplier nanoClock;
    private final Map<String, long[]> windows = new HashMap<>();

    RateLimit(int perSecond, LongSupplier nanoClock) {
        this(constant(perSecond), nanoClock);
    }

    /** A limit read at each request, so that a changed setting applies at once. */
    RateLimit(IntSupplier perSecond, LongSupplier nanoClock) {
        this.perSecond = perSecond;
        this.nanoClock = nanoClock;
    }

    private static IntSupplier constant(int perSecond) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("max.requests.per.second cannot be negative: " + perSecond);
        }
        return () -> perSecond;
    }

    int perSecond() {
        return perSecond.getAsInt();
    }

    /** Whether one more request of {@code caller} fits in this second; counted when it does. */
    synchronized boolean admit(String caller) {
        int allowed = perSecond.getAsInt();
        if (allowed == 0) {
            return true;
        }
        long second = nanoClock.getAsLong() / 1_000_000_000L;
        if (windows.size() >= MAX_CALLERS) {
            windows.values().removeIf(w -> w[0] != second);
        }
        long[] w = windows.computeIfAbsent(caller, k -> new long[] {second, 0});
        if (w[0] != second) {
            w[0] = second;
            w[1] = 0;
        }
        if (w[1] >= allowed) {
            return false;
        }
        w[1]++;
        return true;
    }
}
