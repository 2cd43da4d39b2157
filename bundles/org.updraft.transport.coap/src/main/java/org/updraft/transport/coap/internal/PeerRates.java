package org.updraft.transport.coap.internal;

import java.net.InetAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Requests per second per source address, in a table of fixed size: a flood from spoofed addresses (any number of
 * them) cannot grow it. Each address hashes, under a key chosen at random per server so that nobody can aim at
 * another device's slot, to one of {@value #SLOTS} slots holding the current second and its count; addresses that
 * share a slot share its budget, which is the price of the bound.
 */
final class PeerRates {

    static final int SLOTS = 4096;
    /** The count's bits in a slot; the second (since the table was made) takes the others. */
    private static final int COUNT_BITS = 24;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

    private final int perSecond;
    private final LongSupplier nanoClock;
    private final long origin;
    private final int key;
    private final AtomicLongArray slots = new AtomicLongArray(SLOTS);

    PeerRates(int perSecond) {
        this(perSecond, System::nanoTime, ThreadLocalRandom.current().nextInt());
    }

    /** With the clock and the hash key given (tests). */
    PeerRates(int perSecond, LongSupplier nanoClock, int key) {
        if (perSecond < 1 || perSecond > COUNT_MASK) {
            throw new IllegalArgumentException("requests per second must be 1-" + COUNT_MASK + ", not " + perSecond);
        }
        this.perSecond = perSecond;
        this.nanoClock = nanoClock;
        this.origin = nanoClock.getAsLong();
        this.key = key | 1;
    }

    int perSecond() {
        return perSecond;
    }

    /** Counts one request of the peer; false when it is over its limit in the current second. */
    boolean allow(InetAddress peer) {
        int slot = slot(peer);
        // + 1: a slot of 0 is second 0 with no request, so the first second is 1
        long second = (nanoClock.getAsLong() - origin) / 1_000_000_000L + 1;
        while (true) {
            long held = slots.get(slot);
            long next;
            if (held >>> COUNT_BITS != second) {
                next = second << COUNT_BITS | 1;
            } else if ((held & COUNT_MASK) >= perSecond) {
                return false;
            } else {
                next = held + 1;
            }
            if (slots.compareAndSet(slot, held, next)) {
                return true;
            }
        }
    }

    int slot(InetAddress peer) {
        int h = 0;
        for (byte b : peer.getAddress()) {
            h = (h ^ (b & 0xFF)) * key;
            h ^= h >>> 15;
        }
        h *= 0x9E3779B1;
        return (h ^ h >>> 16) & (SLOTS - 1);
    }
}
