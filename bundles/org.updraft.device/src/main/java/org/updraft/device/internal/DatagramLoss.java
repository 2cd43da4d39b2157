package org.updraft.device.internal;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/** Which datagrams a lossy link loses: a share of them, in a pattern fixed by a seed, counted where a fleet sums them. */
final class DatagramLoss {

    private final double share;
    private final Random random;
    private final AtomicLong dropped;

    /**
     * @param share share of datagrams lost, 0 to 1 (exclusive)
     * @param dropped where the lost datagrams are counted (shared by a fleet's connectors)
     */
    DatagramLoss(double share, long seed, AtomicLong dropped) {
        if (!(share >= 0 && share < 1)) {
            throw new IllegalArgumentException("the share of lost datagrams must be at least 0 and below 1, not "
                    + share);
        }
        this.share = share;
        this.random = new Random(seed);
        this.dropped = dropped;
    }

    /** Whether the next datagram is lost (and then counted). */
    boolean lose() {
        if (share > 0 && random.nextDouble() < share) {
            dropped.incrementAndGet();
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return "lossy(" + share + ")";
    }
}
