package org.updraft.device;

import java.time.Duration;
import java.util.Objects;

/**
 * Faults injected into one simulated device, to see the platform handle them.
 *
 * @param imageFailsToBoot the new image never confirms itself (hangs or crashes): the bootloader reverts and
 *        the device reports {@code rolled-back}
 * @param corruptBlock the number of a download block whose bytes arrive altered (a corruption the radio's checks
 *        missed), or -1 for none: the image fails its digest check and the device reports {@code failed}
 * @param offlineAtBlock the download block before which the device drops off the network (power loss, no
 *        coverage), or -1 for never; it comes back after {@code offlineFor} and resumes where it stopped
 * @param offlineFor how long it stays away
 */
public record AgentFaults(boolean imageFailsToBoot, long corruptBlock, long offlineAtBlock, Duration offlineFor) {

    /** A healthy device. */
    public static final AgentFaults NONE = new AgentFaults(false, -1, -1, Duration.ZERO);

    public AgentFaults {
        Objects.requireNonNull(offlineFor, "offlineFor");
        if (offlineFor.isNegative()) {
            throw new IllegalArgumentException("offlineFor must not be negative");
        }
    }

    public AgentFaults withImageFailingToBoot() {
        return new AgentFaults(true, corruptBlock, offlineAtBlock, offlineFor);
    }

    public AgentFaults withCorruptBlock(long block) {
        return new AgentFaults(imageFailsToBoot, block, offlineAtBlock, offlineFor);
    }

    public AgentFaults withOfflineSpell(long atBlock, Duration duration) {
        return new AgentFaults(imageFailsToBoot, corruptBlock, atBlock, duration);
    }
}
