package org.updraft.transport.lorawan.internal.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/**
 * Frame loss on one link, as a two-state (Gilbert-Elliott) channel in continuous time: in the good state a frame
 * is lost with {@code goodLoss}, in the bad state (a burst: interference, a passing truck) with {@code badLoss}.
 * bursts last {@code meanBurst} on average and take {@code burstShare} of the time. The state at a frame is drawn
 * from the state at the link's previous frame and the time between them, so frames close together share a burst
 * and frames far apart (a retry half a minute later) hardly do. The random source is the simulation's, so a seed
 * replays a run.
 */
public final class LossModel {

    private final double goodLoss;
    private final double badLoss;
    private final double burstShare;
    private final double meanBurstSeconds;
    private boolean bad;
    private Instant last;

    private LossModel(double goodLoss, double badLoss, double burstShare, double meanBurstSeconds) {
        for (double p : new double[] {goodLoss, badLoss, burstShare}) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("probabilities are 0 to 1, not " + p);
            }
        }
        this.goodLoss = goodLoss;
        this.badLoss = badLoss;
        this.burstShare = burstShare;
        this.meanBurstSeconds = meanBurstSeconds;
    }

    /** Each frame lost on its own with probability {@code loss}. */
    public static LossModel random(double loss) {
        return new LossModel(loss, loss, 0, 1);
    }

    /**
     * Frames lost in bursts averaging {@code meanBurst}, the channel bad (everything lost) {@code loss} of the
     * time, good (nothing lost) otherwise.
     */
    public static LossModel bursts(double loss, Duration meanBurst) {
        if (!(loss >= 0 && loss < 1) || meanBurst.isNegative() || meanBurst.isZero()) {
            throw new IllegalArgumentException("burst loss needs a share 0 to below 1 and bursts of some length, not "
                    + loss + " and " + meanBurst);
        }
        return new LossModel(0, 1, loss, meanBurst.toNanos() / 1e9);
    }

    public static LossModel none() {
        return random(0);
    }

    /** Whether a frame on this link at {@code at} is lost. */
    public boolean lost(Random random, Instant at) {
        if (burstShare > 0) {
            // two-state Markov chain: leaving a burst at rate 1/mean, entering at the rate that keeps the share
            double rate = 1 / meanBurstSeconds / (1 - burstShare);
            double dt = last == null ? Double.POSITIVE_INFINITY : Duration.between(last, at).toNanos() / 1e9;
            double pBad = burstShare + ((bad ? 1 : 0) - burstShare) * Math.exp(-rate * dt);
            bad = random.nextDouble() < pBad;
            last = at;
        }
        return random.nextDouble() < (bad ? badLoss : goodLoss);
    }
}
