package org.updraft.device;

import java.io.InputStream;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a device's agent needs of its flash and bootloader: write a new image beside the one that runs, resuming
 * after power loss; hand it to the bootloader; boot; confirm the new image once it runs, or find the old one
 * running again. One implementation per family of bootloaders, as the device profiles name them:
 * <ul>
 * <li>{@link AbFlash}: two equal slots and a bootloader that tries the other one once and reverts unless it is
 * confirmed (ESP-IDF's OTA data with rollback, an AVR or generic device);</li>
 * <li>{@link McubootFlash}: MCUboot's primary and secondary slots with their image trailers, a test swap, and the
 * bootloader's own check of the image's hash and signature before it swaps;</li>
 * <li>{@link LinuxAbRootfs}: an embedded Linux device with A/B root file systems, installing a SWUpdate
 * {@code .swu} after checking its signature, and U-Boot's boot counter to fall back.</li>
 * </ul>
 * The agent reads the installed image back ({@link #running()}) as the base of a delta and to report its version.
 * Implementations are thread-safe; each method is one atomic step of the simulated hardware.
 */
public interface DeviceFlash {

    /**
     * A complete image as released: what the manifest's size, SHA-256 and CID describe.
     *
     * @param version the semantic version the image carries
     * @param sequence its sequence number (anti-rollback)
     * @param bytes its bytes, never changed once installed
     */
    record Image(String version, long sequence, byte[] bytes) {
        public Image {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    /** What a reboot did. */
    enum Boot {
        /** The running image did not change. */
        UNCHANGED,
        /** The pending image now runs on trial; it must {@link DeviceFlash#confirm()} or be reverted. */
        TRIAL,
        /** An unconfirmed image was given up and the previous one runs again. */
        REVERTED,
        /**
         * The bootloader refused the pending image before running it (its own check of the image failed) and the
         * previous one runs on; see {@link DeviceFlash#lastRefusal()}.
         */
        REFUSED
    }

    /** The image that runs now. */
    Image running();

    /** Whether the running image runs on trial and has not confirmed itself yet. */
    boolean isOnTrial();

    /**
     * Prepares to receive an image of {@code size} bytes, unless the image named {@code imageKey} is already being
     * received (then the bytes written so far are kept, and the download resumes).
     *
     * @param imageKey what identifies the image being written, e.g. its CID
     * @return the number of bytes already written from the start
     * @throws IllegalStateException while the running image is on trial (the old image must stay until confirmed)
     * @throws IllegalArgumentException when no image of {@code size} bytes fits
     */
    long beginWrite(String imageKey, long size);

    /**
     * Writes {@code data} at {@code offset}. Writes continue where the last one ended, as a device writes its
     * download in order; a write that repeats bytes already written is allowed.
     */
    void write(long offset, byte[] data);

    /** Bytes written from the start of the image being received, 0 when none is. */
    long written();

    /** Reads the bytes written so far, to measure the image before installing it. */
    InputStream readWritten();

    /** Gives up the image being received (it failed verification): what was written is erased. */
    void erase();

    /**
     * Hands the completely written, verified image to the bootloader: the next boot tries it.
     *
     * @param shared bytes equal to what was written, to keep instead of a copy (a fleet of simulated devices
     *        shares one copy of an image), or {@code null}
     * @throws InstallException when the device's installer refuses the image (e.g. a {@code .swu} whose signature
     *         does not verify); nothing is pending then and the running image is untouched
     */
    void setPending(String version, long sequence, byte[] shared) throws InstallException;

    /**
     * Resets the device and lets the bootloader choose what runs.
     *
     * @param imageWorks whether an image that is tried actually reaches its own confirmation code (fault injection:
     *        {@code false} simulates a new image that hangs or crashes, which the watchdog resets)
     */
    Boot reboot(Predicate<Image> imageWorks);

    /**
     * Called by the running image once it works: the new image becomes permanent.
     *
     * @throws IllegalStateException when nothing runs on trial
     */
    void confirm();

    /** Why the bootloader last refused a pending image ({@link Boot#REFUSED}), or {@code null}. */
    default String lastRefusal() {
        return null;
    }

    /** Thrown when the device's installer refuses a verified download, with a reason code for its report. */
    final class InstallException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String reason;

        /**
         * @param reason the code the device reports, e.g. {@code swu-signature-invalid}
         * @param message what went wrong, for the device's log
         */
        public InstallException(String reason, String message) {
            super(message);
            this.reason = Objects.requireNonNull(reason, "reason");
        }

        /** The code the device reports. */
        public String reason() {
            return reason;
        }
    }
}
