package org.updraft.core.mcuboot;

import java.util.Set;

/**
 * A flash slot as MCUboot uses it: the image at its start, the trailer (swap status, flags, boot magic) at its
 * end. The trailer's size is imgtool's, for unencrypted images.
 *
 * @param slotSize bytes of the slot (of the secondary slot when the two differ)
 * @param align the flash write size: 1, 2, 4, 8, 16 or 32 ({@code --align})
 * @param maxSectors sectors the swap status must describe ({@code --max-sectors}, 128 unless told)
 * @param overwriteOnly whether the bootloader overwrites instead of swapping: a smaller trailer
 * @param maxAlign the largest write size of the two slots: 8, 16 or 32 ({@code --max-align}); imgtool takes
 *        the larger of 8 and {@code align} when it is not given
 */
public record SlotLayout(long slotSize, int align, int maxSectors, boolean overwriteOnly, int maxAlign) {

    public static final int DEFAULT_MAX_SECTORS = 128;
    private static final int DEFAULT_MAX_ALIGN = 8;
    private static final int MAGIC_SIZE = 16;
    private static final Set<Integer> ALIGNS = Set.of(1, 2, 4, 8, 16, 32);

    /** The boot magic at the end of a padded slot, when the maximum write size is 8. */
    private static final byte[] BOOT_MAGIC = {
        0x77, (byte) 0xc2, (byte) 0x95, (byte) 0xf3, 0x60, (byte) 0xd2, (byte) 0xef, 0x7f,
        0x35, 0x52, 0x50, 0x0f, 0x2c, (byte) 0xb6, 0x79, (byte) 0x80 };
    /** The rest of the magic when the maximum write size is not 8: it follows that size, 16-bit. */
    private static final byte[] BOOT_MAGIC_TAIL = {
        0x2d, (byte) 0xe1, 0x5d, 0x29, 0x41, 0x0b, (byte) 0x8d, 0x77, 0x67, (byte) 0x9c, 0x11, 0x0f, 0x1f,
        (byte) 0x8a };

    public SlotLayout {
        if (slotSize < 0 || slotSize > 0xffff_ffffL) {
            throw new IllegalArgumentException("slot size 0x" + Long.toHexString(slotSize) + " is out of range");
        }
        if (!ALIGNS.contains(align)) {
            throw new IllegalArgumentException("alignment " + align + " is not one of 1, 2, 4, 8, 16, 32");
        }
        if (maxSectors < 1) {
            throw new IllegalArgumentException("max sectors " + maxSectors + " must be at least 1");
        }
        if (maxAlign != 8 && maxAlign != 16 && maxAlign != 32) {
            throw new IllegalArgumentException("max alignment " + maxAlign + " is not one of 8, 16, 32");
        }
    }

    /** A swap-mode slot with imgtool's defaults: 128 sectors, maximum alignment the larger of 8 and {@code align}. */
    public static SlotLayout of(long slotSize, int align) {
        return new SlotLayout(slotSize, align, DEFAULT_MAX_SECTORS, false, Math.max(DEFAULT_MAX_ALIGN, align));
    }

    /** Bytes of the trailer at the slot's end (imgtool's {@code _trailer_size} without encryption keys). */
    public long trailerSize() {
        long magic = alignUp(MAGIC_SIZE, maxAlign);
        if (overwriteOnly) {
            return maxAlign * 2L + magic;
        }
        return (long) maxSectors * 3 * align + maxAlign * 4L + magic;
    }

    /** Bytes an image (header to the end of its TLVs) may have in this slot. */
    public long room() {
        return slotSize - trailerSize();
    }

    /**
     * Checks that the image and the trailer fit the slot.
     *
     * @throws ImageException {@link ImageProblem#TOO_LARGE}, saying by how much
     */
    public void check(McubootImage image) throws ImageException {
        check(image.size());
    }

    void check(long imageBytes) throws ImageException {
        if (imageBytes > room()) {
            throw new ImageException(ImageProblem.TOO_LARGE, String.format("image 0x%x bytes larger than slot 0x%x "
                    + "minus trailer 0x%x (room for 0x%x bytes)", imageBytes, slotSize, trailerSize(),
                    Math.max(room(), 0)));
        }
    }

    /** The 16 bytes of boot magic that end a padded slot. */
    public byte[] bootMagic() {
        if (maxAlign == DEFAULT_MAX_ALIGN) {
            return BOOT_MAGIC.clone();
        }
        byte[] magic = new byte[MAGIC_SIZE];
        magic[0] = (byte) maxAlign;
        magic[1] = (byte) (maxAlign >> 8);
        System.arraycopy(BOOT_MAGIC_TAIL, 0, magic, 2, BOOT_MAGIC_TAIL.length);
        return magic;
    }

    /** Offset from the slot's end of the image_ok flag, which {@code --confirm} sets to 1. */
    long imageOkFromEnd() {
        return alignUp(MAGIC_SIZE, maxAlign) + maxAlign;
    }

    private static long alignUp(long n, int align) {
        return (n + align - 1) & -align;
    }
}
