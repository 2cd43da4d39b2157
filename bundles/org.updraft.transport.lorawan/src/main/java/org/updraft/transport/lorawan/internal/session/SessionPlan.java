package org.updraft.transport.lorawan.internal.session;

import java.time.Duration;
import java.util.Objects;

import org.updraft.transport.lorawan.internal.fuota.Ts004Version;
import org.updraft.transport.lorawan.internal.radio.Region;

/**
 * How a FUOTA session runs. Every downlink of the session (setup frames, fragments, status requests) goes on
 * {@code frequencyHz} at data rate {@code dataRate}, paced by the duty cycle of that frequency's sub-band: for
 * multicast that is the Class C channel (869.525 MHz in EU868).
 *
 * @param fragSize bytes per fragment; 0 for the largest the data rate carries
 * @param redundancy coded fragments sent after the M uncoded ones at first, as a share of M
 * @param blockAckDelay TS004's BlockAckDelay: devices spread their status answers over 2^(delay+4) s
 * @param maxRepairRounds status requests followed by more redundancy before a device still missing fragments
 *     ends failed
 * @param maxAttempts tries of each setup request, and status requests a device may leave unanswered, before it
 *     ends failed
 * @param answerTimeout how long after a request's frame ends its answer may come (beyond BlockAckDelay's spread)
 * @param version the TS004 version every device runs: its frames, FEC rows and, in v2.0.0, the block's MIC
 * @param clockSync whether devices' clocks are checked (TS003) before a multicast session is opened
 * @param multicast the TS005 group, or null for a unicast session
 */
public record SessionPlan(Region region, int dataRate, long frequencyHz, Ts004Version version, int fragIndex,
        int fragSize, long descriptor, double redundancy, int blockAckDelay, int maxRepairRounds, int maxAttempts,
        Duration answerTimeout, boolean clockSync, Multicast multicast) {

    /** A TS005 multicast group opened as a Class C session. */
    public record Multicast(int groupId, long mcAddr, long minMcFCount, long maxMcFCount, int ts005Version) {
        public Multicast {
            if (groupId < 0 || groupId > 3) {
                throw new IllegalArgumentException("McGroupID is 0 to 3, not " + groupId);
            }
            if (mcAddr < 0 || mcAddr > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("McAddr is 32 bits, not " + mcAddr);
            }
            if (minMcFCount < 0 || maxMcFCount < minMcFCount || maxMcFCount > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("multicast frame counters " + minMcFCount + " to " + maxMcFCount
                        + " are no 32-bit range");
            }
            if (ts005Version != 1 && ts005Version != 2) {
                throw new IllegalArgumentException("TS005 version must be 1 or 2, not " + ts005Version);
            }
        }
    }

    public SessionPlan {
        region.dataRate(dataRate);
        region.subBand(frequencyHz);
        Objects.requireNonNull(version, "version");
        if (fragIndex < 0 || fragIndex > 3) {
            throw new IllegalArgumentException("FragIndex is 0 to 3, not " + fragIndex);
        }
        int largest = region.dataRate(dataRate).maxFragmentSize();
        if (fragSize < 0 || fragSize > largest) {
            throw new IllegalArgumentException("DR" + dataRate + " carries fragments of at most " + largest
                    + " bytes, not " + fragSize);
        }
        if (descriptor < 0 || descriptor > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("the Descriptor is 32 bits, not " + descriptor);
        }
        if (!(redundancy >= 0 && redundancy <= 10)) {
            throw new IllegalArgumentException("redundancy is a share of M from 0 to 10, not " + redundancy);
        }
        if (blockAckDelay < 0 || blockAckDelay > 7) {
            throw new IllegalArgumentException("BlockAckDelay is 0 to 7, not " + blockAckDelay);
        }
        if (maxRepairRounds < 0 || maxAttempts < 1) {
            throw new IllegalArgumentException("repair rounds must be 0 or more and attempts 1 or more, not "
                    + maxRepairRounds + " and " + maxAttempts);
        }
        if (answerTimeout.isNegative() || answerTimeout.isZero()) {
            throw new IllegalArgumentException("the answer timeout must be positive, not " + answerTimeout);
        }
    }

    /**
     * A multicast session at {@code dataRate} on {@code frequencyHz} for group 0 at {@code mcAddr}: TS004 v1.0.0,
     * FragIndex 0, the largest fragments, 10% redundancy, answers spread over 16 s, 5 repair rounds, 3 attempts,
     * 30 s answer timeout, clocks checked.
     */
    public static SessionPlan multicast(Region region, int dataRate, long frequencyHz, long mcAddr) {
        return new SessionPlan(region, dataRate, frequencyHz, Ts004Version.V1_0_0, 0, 0, 0, 0.1, 0, 5, 3,
                Duration.ofSeconds(30), true, new Multicast(0, mcAddr, 0, 0xFFFF_FFFFL, 1));
    }

    /** As {@link #multicast}, but each device gets its own copy of every frame, and no clock check. */
    public static SessionPlan unicast(Region region, int dataRate, long frequencyHz) {
        return new SessionPlan(region, dataRate, frequencyHz, Ts004Version.V1_0_0, 0, 0, 0, 0.1, 0, 5, 3,
                Duration.ofSeconds(30), false, null);
    }

    public SessionPlan withRedundancy(double share) {
        return new SessionPlan(region, dataRate, frequencyHz, version, fragIndex, fragSize, descriptor, share,
                blockAckDelay, maxRepairRounds, maxAttempts, answerTimeout, clockSync, multicast);
    }

    public SessionPlan withRepairRounds(int rounds) {
        return new SessionPlan(region, dataRate, frequencyHz, version, fragIndex, fragSize, descriptor, redundancy,
                blockAckDelay, rounds, maxAttempts, answerTimeout, clockSync, multicast);
    }

    public SessionPlan withMaxAttempts(int attempts) {
        return new SessionPlan(region, dataRate, frequencyHz, version, fragIndex, fragSize, descriptor, redundancy,
                blockAckDelay, maxRepairRounds, attempts, answerTimeout, clockSync, multicast);
    }

    public SessionPlan withFragSize(int size) {
        return new SessionPlan(region, dataRate, frequencyHz, version, fragIndex, size, descriptor, redundancy,
                blockAckDelay, maxRepairRounds, maxAttempts, answerTimeout, clockSync, multicast);
    }

    /**
     * This plan in TS004 {@code ts004}: v2.0.0 sessions need each participant's DataBlockIntKey and SessionCnt,
     * use v2.0.0's FEC rows and have each device confirm the block it rebuilt (DataBlockReceivedReq).
     */
    public SessionPlan withVersion(Ts004Version ts004) {
        return new SessionPlan(region, dataRate, frequencyHz, ts004, fragIndex, fragSize, descriptor, redundancy,
                blockAckDelay, maxRepairRounds, maxAttempts, answerTimeout, clockSync, multicast);
    }

    public SessionPlan withClockSync(boolean check) {
        return new SessionPlan(region, dataRate, frequencyHz, version, fragIndex, fragSize, descriptor, redundancy,
                blockAckDelay, maxRepairRounds, maxAttempts, answerTimeout, check, multicast);
    }

    /** The fragment size this plan uses. */
    public int effectiveFragSize() {
        return fragSize == 0 ? region.dataRate(dataRate).maxFragmentSize() : fragSize;
    }
}
