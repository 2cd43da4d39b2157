package org.updraft.device;

import java.io.InputStream;
import java.util.function.Predicate;

/**
 * A simulated two-slot flash with a bootloader that tries the other slot with revert, as ESP-IDF's OTA data with
 * rollback does (and the generic device): a new image is written into the inactive slot, marked pending, and tried
 * on the next boot; it must confirm itself while running, or the next boot goes back to the old slot. This
 * bootloader does not check images itself: the agent's check against the manifest is all there is. A new image
 * that never reaches its confirmation (it hangs or crashes, and the watchdog resets the device) is reverted on that
 * reset.
 *
 * <p>The flash keeps what was written across simulated power losses: an interrupted download resumes from
 * {@link #written()}. Thread-safe; each method is one atomic step of the simulated hardware.
 */
public final class AbFlash implements DeviceFlash {

    /** One of the two image slots. */
    public enum Slot {
        A, B;

        public Slot other() {
            return this == A ? B : A;
        }
    }

    private final Image[] images = new Image[2];
    private Slot active = Slot.A;
    /** The image being written into the inactive slot, or null. */
    private Download writing;
    private boolean pending;
    private boolean trial;
    private long boots;

    /**
     * A device straight from the factory: {@code factoryImage} confirmed in slot A, slot B empty.
     */
    public AbFlash(String version, long sequence, byte[] factoryImage) {
        images[Slot.A.ordinal()] = new Image(version, sequence, factoryImage.clone());
    }

    public synchronized Slot activeSlot() {
        return active;
    }

    public synchronized Slot inactiveSlot() {
        return active.other();
    }

    /** The image that runs now. */
    @Override
    public synchronized Image running() {
        return images[active.ordinal()];
    }

    /** The complete image in {@code slot}, or {@code null} when it holds none. */
    public synchronized Image image(Slot slot) {
        return images[slot.ordinal()];
    }

    /** Whether the running image runs on trial and has not confirmed itself yet. */
    @Override
    public synchronized boolean isOnTrial() {
        return trial;
    }

    /** Whether the inactive slot's image will be tried on the next boot. */
    public synchronized boolean isPending() {
        return pending;
    }

    /** How many times the device booted since it left the factory. */
    public synchronized long bootCount() {
        return boots;
    }

    /**
     * Erases the inactive slot to receive an image of {@code size} bytes, unless it is already receiving the image
     * named {@code imageKey} (then the bytes written so far are kept, and the download resumes).
     *
     * @param imageKey what identifies the image being written, e.g. its CID
     * @return the number of bytes already written from the start of the slot
     * @throws IllegalStateException while the running image is on trial (the old image must stay until confirmed)
     */
    @Override
    public synchronized long beginWrite(String imageKey, long size) {
        if (trial) {
            throw new IllegalStateException("the running image is on trial; the other slot holds the fallback");
        }
        if (size < 0 || size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a slot holds 0 to 2 GiB, not " + size + " bytes");
        }
        if (writing != null && writing.isFor(imageKey, size)) {
            return writing.written();
        }
        images[inactiveSlot().ordinal()] = null;
        pending = false;
        writing = new Download(imageKey, size, "image");
        return 0;
    }

    /**
     * Writes {@code data} at {@code offset} of the slot being written. Writes must continue where the last one
     * ended, as a device writes its download in order; a write that repeats bytes already written is allowed.
     */
    @Override
    public synchronized void write(long offset, byte[] data) {
        if (writing == null) {
            throw new IllegalStateException("no image is being written; call beginWrite first");
        }
        writing.write(offset, data);
    }

    /** Bytes written from the start of the slot being written, 0 when none is. */
    @Override
    public synchronized long written() {
        return writing == null ? 0 : writing.written();
    }

    /** The bytes written so far into the slot being written (a copy), to measure the image before installing it. */
    public synchronized byte[] writtenBytes() {
        if (writing == null) {
            throw new IllegalStateException("no image is being written");
        }
        return writing.copy();
    }

    /** Reads the bytes written so far into the slot being written, to measure the image before installing it. */
    @Override
    public synchronized InputStream readWritten() {
        if (writing == null) {
            throw new IllegalStateException("no image is being written");
        }
        return writing.read();
    }

    /**
     * Gives up the image being written (it failed verification): the inactive slot is erased.
     */
    @Override
    public synchronized void erase() {
        writing = null;
        pending = false;
        if (!trial) {
            images[inactiveSlot().ordinal()] = null;
        }
    }

    /**
     * Marks the completely written image as pending: the next boot tries it.
     *
     * @param shared bytes equal to what was written, to keep instead of the write buffer (a fleet of simulated
     *        devices shares one copy of an image), or {@code null}
     */
    @Override
    public synchronized void setPending(String version, long sequence, byte[] shared) {
        if (writing == null || !writing.isComplete()) {
            throw new IllegalStateException("the inactive slot holds no complete image (" + written() + " of "
                    + (writing == null ? 0 : writing.size()) + " bytes written)");
        }
        images[inactiveSlot().ordinal()] = new Image(version, sequence, writing.keep(shared));
        writing = null;
        pending = true;
    }

    /**
     * Resets the device and lets the bootloader choose what runs.
     *
     * @param imageWorks whether an image that is tried actually reaches its own confirmation code (fault injection:
     *        {@code false} simulates a new image that hangs or crashes, which the watchdog resets)
     */
    @Override
    public synchronized Boot reboot(Predicate<Image> imageWorks) {
        boots++;
        if (trial) {
            // reset before the trial image confirmed itself: the bootloader swaps back
            revert();
            return Boot.REVERTED;
        }
        if (!pending) {
            return Boot.UNCHANGED;
        }
        pending = false;
        active = active.other();
        trial = true;
        if (imageWorks.test(running())) {
            return Boot.TRIAL;
        }
        // the new image never confirmed: the watchdog resets the device and the bootloader reverts
        boots++;
        revert();
        return Boot.REVERTED;
    }

    private void revert() {
        trial = false;
        active = active.other();
    }

    /**
     * Called by the running image once it works: the swap becomes permanent.
     *
     * @throws IllegalStateException when nothing runs on trial
     */
    @Override
    public synchronized void confirm() {
        if (!trial) {
            throw new IllegalStateException("the running image is already confirmed");
        }
        trial = false;
    }
}
