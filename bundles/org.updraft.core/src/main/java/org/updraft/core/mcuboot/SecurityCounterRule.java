package org.updraft.core.mcuboot;

import java.util.OptionalLong;

/**
 * The one rule between a release manifest's sequence number and its MCUboot image's security counter (the
 * protected SEC_CNT TLV), for the MCUboot profile to enforce at publish.
 *
 * <p>The two protect against rollback at different layers. The sequence number is the platform's: a device
 * accepts a manifest only if its sequence is higher than the one it runs, and every release of a device class
 * has a higher sequence than the one before. The security counter is the bootloader's: with hardware rollback
 * protection MCUboot refuses to boot an image whose counter is below the value stored in the device, and raises
 * that value, for good, to the counter of each image it confirms. So a counter can never go back down, and a
 * mistake in it cannot be undone in the field.
 *
 * <p>The rule, for a release with sequence {@code S} whose image carries counter {@code C}, and the previous
 * release of the same device class (the highest sequence below {@code S}) whose image carried {@code P}:
 * <ol>
 * <li><b>{@code C <= S}: the counter never runs ahead of the sequence.</b> Every later release has a sequence
 *     above {@code S}, so it can always carry a counter at least {@code C}: no release can lock the fleet out of
 *     the releases after it (one with counter 0xffffffff would). {@code C = S} is always a valid choice.</li>
 * <li><b>{@code C >= P}: counters never decrease across releases.</b> A device that installed the previous
 *     release accepts this one's manifest (its sequence is higher), but MCUboot would refuse to boot an image
 *     with a lower counter: the update would fail on every device, which the platform can see at publish.</li>
 * <li><b>Once a release carries a counter, every later one does.</b> A bootloader built with rollback protection
 *     refuses an image without one.</li>
 * </ol>
 * An image without a counter, after releases without one, is allowed: that class does not use rollback
 * protection. Counters may stay equal across releases (a release that fixes no vulnerability need not burn
 * the old image's ability to boot).
 */
public final class SecurityCounterRule {

    private SecurityCounterRule() {
    }

    /**
     * Checks a release against the rule.
     *
     * @param sequence the release manifest's sequence number
     * @param counter its image's security counter, empty if the image has none
     * @param previous the security counter of the image of the class's previous release (the highest sequence
     *        below {@code sequence}); empty if there is none, or it had no counter
     * @throws ImageException {@link ImageProblem#SECURITY_COUNTER} saying which part of the rule is broken
     */
    public static void check(long sequence, OptionalLong counter, OptionalLong previous) throws ImageException {
        if (counter.isEmpty()) {
            if (previous.isPresent()) {
                throw new ImageException(ImageProblem.SECURITY_COUNTER, "image has no security counter, but the "
                        + "previous release's had " + previous.getAsLong() + ": a bootloader with rollback "
                        + "protection would refuse it");
            }
            return;
        }
        long c = counter.getAsLong();
        if (c > sequence) {
            throw new ImageException(ImageProblem.SECURITY_COUNTER, "security counter " + c + " exceeds the "
                    + "release's sequence number " + sequence + " (a counter never runs ahead of the sequence)");
        }
        if (previous.isPresent() && c < previous.getAsLong()) {
            throw new ImageException(ImageProblem.SECURITY_COUNTER, "security counter " + c + " is lower than the "
                    + "previous release's " + previous.getAsLong() + ": MCUboot would refuse to boot it on devices "
                    + "that installed that release");
        }
    }

    /** Checks a verified image against its release's sequence and the previous release's counter. */
    public static void check(long sequence, VerifiedImage image, OptionalLong previous) throws ImageException {
        check(sequence, image.securityCounter(), previous);
    }
}
