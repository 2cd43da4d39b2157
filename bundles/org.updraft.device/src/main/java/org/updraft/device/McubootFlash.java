package org.updraft.device;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Predicate;

import org.updraft.core.mcuboot.ImageException;
import org.updraft.core.mcuboot.ImageKey;
import org.updraft.core.mcuboot.ImageSource;
import org.updraft.core.mcuboot.ImageVerifier;
import org.updraft.core.mcuboot.SlotLayout;

/**
 * A simulated Cortex-M device with MCUboot in swap mode with revert, as Zephyr devices run it. The download goes into
 * the secondary slot; {@link #setPending} writes that slot's trailer as {@code boot_set_pending} does for a test swap;
 * {@link #reboot} is the bootloader, deciding by MCUboot's table of swap types. It swaps an image in only after
 * checking its hash and signature with the device's {@link ImageKey} (an invalid one is erased: {@link Boot#REFUSED});
 * the new image runs with copy_done set and image_ok unset, and unless it {@link #confirm()}s (sets image_ok) the
 * next boot swaps back.
 *
 * <p>Trailers are real bytes at MCUboot's offsets back from the slot's end: the boot magic in the last 16 bytes, then
 * image_ok, copy_done, swap_info and swap_size, each padded to the maximum write size, then the swap status. A flag
 * is 0x01; swap_info holds the image number (0) and the swap type in its high and low nibble. A field is programmed
 * only while erased, as NOR flash requires.
 *
 * <p>Memory: a fleet simulates thousands of these, so a slot is not an array of its size but the image area's
 * programmed bytes (a handed-over image's are the fleet's shared copy) and the trailer; all between reads as erased
 * (0xff). {@link #primary()} and {@link #secondary()} build a whole slot on demand. Thread-safe; each method is one
 * atomic step of the simulated hardware.
 */
public final class McubootFlash implements DeviceFlash {

    private static final byte ERASED = (byte) 0xff;
    private static final byte FLAG_SET = 0x01;
    private static final int MAGIC_SIZE = 16;
    private static final ImageVerifier VERIFIER = new ImageVerifier();

    /** How a trailer's boot magic reads: MCUboot tells erased apart from a bad value. */
    public enum Magic { GOOD, UNSET, BAD }

    /** The swap type recorded in a trailer's swap_info (an erased or unknown one reads as {@code NONE}). */
    public enum SwapType {
        NONE, TEST, PERM, REVERT;

        /** BOOT_SWAP_TYPE_*: 1 to 4, in this order. */
        byte code() {
            return (byte) (ordinal() + 1);
        }

        static SwapType of(byte swapInfo) {
            int code = swapInfo & 0x0f;
            return swapInfo == ERASED || code < 1 || code > 4 ? NONE : values()[code - 1];
        }
    }

    /** What a slot's trailer says, decoded as the bootloader reads it. */
    public record TrailerState(Magic magic, SwapType swapType, boolean copyDone, boolean imageOk) {}

    private final SlotLayout layout;
    private final ImageKey imageKey;
    private final byte[] bootMagic;
    /** Where trailer fields start, counted back from the slot's end. */
    private final int imageOkFromEnd;
    private final int copyDoneFromEnd;
    private final int swapInfoFromEnd;
    private final int swapSizeFromEnd;

    private Slot primary;
    private Slot secondary;
    /** The download being written into the secondary slot, or null. */
    private String writingFor;
    private String lastRefusal;
    private long boots;

    /**
     * A device straight from the factory: {@code factoryImage} confirmed in the primary slot (as {@code imgtool sign
     * --pad --confirm} programs it), the secondary slot erased.
     *
     * @param layout the slots' size and write alignment, in swap mode
     * @param imageKey the key provisioned in the bootloader, which checks every image before it swaps it in
     * @throws IllegalArgumentException for an overwrite-only layout, or when the factory image does not fit
     */
    public McubootFlash(SlotLayout layout, ImageKey imageKey, String version, long sequence, byte[] factoryImage) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.imageKey = Objects.requireNonNull(imageKey, "imageKey");
        if (layout.overwriteOnly() || layout.slotSize() > Integer.MAX_VALUE || layout.room() < 0) {
            throw new IllegalArgumentException("not a swap-mode slot of up to 2 GiB with room for an image: " + layout);
        }
        bootMagic = layout.bootMagic();
        int magicArea = (MAGIC_SIZE + layout.maxAlign() - 1) & -layout.maxAlign();
        imageOkFromEnd = magicArea + layout.maxAlign();
        copyDoneFromEnd = imageOkFromEnd + layout.maxAlign();
        swapInfoFromEnd = copyDoneFromEnd + layout.maxAlign();
        swapSizeFromEnd = swapInfoFromEnd + layout.maxAlign();
        checkFits(factoryImage.length);
        primary = erasedSlot();
        primary.data = factoryImage.clone();
        primary.programmed = factoryImage.length;
        primary.image = new Image(version, sequence, primary.data);
        program(primary, MAGIC_SIZE, bootMagic);
        setFlag(primary, imageOkFromEnd);
        secondary = erasedSlot();
    }

    public int slotSize() {
        return (int) layout.slotSize();
    }

    /** The primary slot's bytes as flash holds them (a copy of {@link #slotSize()} bytes). */
    public synchronized byte[] primary() {
        return primary.contents();
    }

    /** The secondary slot's bytes as flash holds them (a copy of {@link #slotSize()} bytes). */
    public synchronized byte[] secondary() {
        return secondary.contents();
    }

    public synchronized TrailerState primaryTrailer() {
        return trailerState(primary);
    }

    public synchronized TrailerState secondaryTrailer() {
        return trailerState(secondary);
    }

    /** How many times the device booted since it left the factory (a watchdog reset counts). */
    public synchronized long bootCount() {
        return boots;
    }

    @Override
    public synchronized Image running() {
        return primary.image;
    }

    /** On trial while the primary slot's image_ok is unset: MCUboot's {@code boot_is_img_confirmed}. */
    @Override
    public synchronized boolean isOnTrial() {
        return !trailerState(primary).imageOk();
    }

    @Override
    public synchronized long beginWrite(String download, long size) {
        if (isOnTrial()) {
            throw new IllegalStateException("the running image is on trial; the secondary slot holds the fallback");
        }
        checkFits(size);
        if (download.equals(writingFor) && secondary.data.length == size) {
            return secondary.programmed;
        }
        secondary = erasedSlot();
        secondary.data = new byte[(int) size];
        writingFor = download;
        return 0;
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        if (writingFor == null) {
            throw new IllegalStateException("no image is being written; call beginWrite first");
        }
        if (offset < 0 || offset > secondary.programmed || offset + data.length > secondary.data.length) {
            throw new IllegalArgumentException(String.format("write of %d bytes at %d leaves a gap after %d written "
                    + "bytes or runs past the image's %d", data.length, offset, secondary.programmed,
                    secondary.data.length));
        }
        System.arraycopy(data, 0, secondary.data, (int) offset, data.length);
        secondary.programmed = Math.max(secondary.programmed, (int) offset + data.length);
    }

    @Override
    public synchronized long written() {
        return writingFor == null ? 0 : secondary.programmed;
    }

    @Override
    public synchronized InputStream readWritten() {
        if (writingFor == null) {
            throw new IllegalStateException("no image is being written");
        }
        return new ByteArrayInputStream(secondary.data, 0, secondary.programmed);
    }

    /** Erases the secondary slot, unless it holds the fallback of an image on trial. */
    @Override
    public synchronized void erase() {
        writingFor = null;
        if (!isOnTrial()) {
            secondary = erasedSlot();
        }
    }

    /**
     * Requests a test swap as {@code boot_set_pending(permanent=false)} does: boot magic and swap type "test" in the
     * secondary slot's trailer. The version and sequence (from the verified manifest) describe the image from then on.
     */
    @Override
    public synchronized void setPending(String version, long sequence, byte[] shared) {
        if (writingFor == null || secondary.programmed != secondary.data.length) {
            throw new IllegalStateException("the secondary slot holds no complete image (" + written() + " of "
                    + (writingFor == null ? 0 : secondary.data.length) + " bytes written)");
        }
        if (shared != null) {
            if (!Arrays.equals(shared, secondary.data)) {
                throw new IllegalArgumentException("the shared bytes differ from what was written");
            }
            secondary.data = shared;
        }
        secondary.image = new Image(version, sequence, secondary.data);
        program(secondary, MAGIC_SIZE, bootMagic);
        program(secondary, swapInfoFromEnd, new byte[] {SwapType.TEST.code()});
        writingFor = null;
    }

    /** The bootloader: reads both trailers, and swaps, swaps back or boots the primary slot as it is. */
    @Override
    public synchronized Boot reboot(Predicate<Image> imageWorks) {
        boots++;
        TrailerState p = trailerState(primary);
        TrailerState s = trailerState(secondary);
        // setPending only requests test swaps, so the table's row for a permanent one never matches here
        if (s.magic() == Magic.GOOD && !s.imageOk()) {
            try {
                // the whole slot, as the bootloader reads it; built for this check only
                layout.check(VERIFIER.verify(ImageSource.of(secondary.contents()), imageKey).image());
            } catch (ImageException | IOException e) {
                // MCUboot erases an invalid image, and marks the running one OK so that it never tries again
                lastRefusal = e.getMessage();
                secondary = erasedSlot();
                setFlag(primary, imageOkFromEnd);
                return Boot.REFUSED;
            }
            swap(SwapType.TEST);
            if (imageWorks.test(primary.image)) {
                return Boot.TRIAL;
            }
            // the new image hangs or crashes before it confirms: the watchdog resets, the bootloader swaps back
            boots++;
            swap(SwapType.REVERT);
            return Boot.REVERTED;
        }
        if (p.magic() == Magic.GOOD && !p.imageOk() && p.copyDone() && s.magic() == Magic.UNSET) {
            swap(SwapType.REVERT);
            return Boot.REVERTED;
        }
        return Boot.UNCHANGED;
    }

    @Override
    public synchronized void confirm() {
        if (!isOnTrial()) {
            throw new IllegalStateException("the running image is already confirmed");
        }
        setFlag(primary, imageOkFromEnd);
    }

    @Override
    public synchronized String lastRefusal() {
        return lastRefusal;
    }

    /**
     * Exchanges the slots' images; trailers do not travel. The secondary's ends erased, the primary's records the swap
     * (swap_info, swap_size, magic), then copy_done; a revert also sets image_ok: the old image is permanent again.
     */
    private void swap(SwapType type) {
        int swapSize = Math.max(primary.programmed, secondary.programmed);
        Slot old = primary;
        primary = secondary;
        secondary = old;
        Arrays.fill(primary.trailer, ERASED);
        Arrays.fill(secondary.trailer, ERASED);
        program(primary, swapInfoFromEnd, new byte[] {type.code()});
        program(primary, swapSizeFromEnd, new byte[] {(byte) swapSize, (byte) (swapSize >> 8),
            (byte) (swapSize >> 16), (byte) (swapSize >> 24)});
        program(primary, MAGIC_SIZE, bootMagic);
        setFlag(primary, copyDoneFromEnd);
        if (type == SwapType.REVERT) {
            setFlag(primary, imageOkFromEnd);
        }
    }

    /** Sets a flag unless it is set: MCUboot reads a flag before it writes one. */
    private static void setFlag(Slot slot, int fromEnd) {
        if (slot.trailer[slot.trailer.length - fromEnd] != FLAG_SET) {
            program(slot, fromEnd, new byte[] {FLAG_SET});
        }
    }

    private TrailerState trailerState(Slot slot) {
        byte[] t = slot.trailer;
        byte[] magic = Arrays.copyOfRange(t, t.length - MAGIC_SIZE, t.length);
        Magic m = Arrays.equals(magic, bootMagic) ? Magic.GOOD
                : Arrays.equals(magic, erased(MAGIC_SIZE)) ? Magic.UNSET : Magic.BAD;
        return new TrailerState(m, SwapType.of(t[t.length - swapInfoFromEnd]),
                t[t.length - copyDoneFromEnd] == FLAG_SET, t[t.length - imageOkFromEnd] == FLAG_SET);
    }

    /** Programs {@code bytes} into the trailer at {@code fromEnd} bytes before the slot's end. */
    private static void program(Slot slot, int fromEnd, byte[] bytes) {
        int at = slot.trailer.length - fromEnd;
        if (!Arrays.equals(slot.trailer, at, at + bytes.length, erased(bytes.length), 0, bytes.length)) {
            throw new IllegalStateException("trailer bytes at " + at + " programmed twice without an erase");
        }
        System.arraycopy(bytes, 0, slot.trailer, at, bytes.length);
    }

    private static byte[] erased(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, ERASED);
        return bytes;
    }

    private void checkFits(long size) {
        if (size < 0 || size > layout.room()) {
            throw new IllegalArgumentException(String.format("image 0x%x bytes larger than slot 0x%x minus trailer "
                    + "0x%x (room for 0x%x bytes)", size, layout.slotSize(), layout.trailerSize(), layout.room()));
        }
    }

    private Slot erasedSlot() {
        return new Slot(slotSize(), (int) layout.trailerSize());
    }

    /** A slot: its image area's first {@code programmed} bytes and its trailer; the rest reads as erased. */
    private static final class Slot {
        final int size;
        final byte[] trailer;
        byte[] data = new byte[0];
        int programmed;
        /** What the image area holds once complete and handed to the bootloader. */
        Image image;

        Slot(int size, int trailerSize) {
            this.size = size;
            this.trailer = erased(trailerSize);
        }

        byte[] contents() {
            byte[] all = erased(size);
            System.arraycopy(data, 0, all, 0, programmed);
            System.arraycopy(trailer, 0, all, size - trailer.length, trailer.length);
            return all;
        }
    }
}
