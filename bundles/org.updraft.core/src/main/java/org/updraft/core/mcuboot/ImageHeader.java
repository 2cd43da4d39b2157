package org.updraft.core.mcuboot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fixed 32 bytes at the start of an MCUboot image ({@code struct image_header}).
 *
 * @param loadAddress {@code ih_load_addr}: where a RAM-load image is copied to (or the ROM_FIXED address)
 * @param headerSize {@code ih_hdr_size}: bytes before the payload, these 32 included
 * @param protectedTlvSize {@code ih_protect_tlv_size}: the protected TLV area, its 4-byte info included; 0 if none
 * @param imageSize {@code ih_img_size}: the payload
 * @param flags {@code ih_flags}, see the {@code FLAG_} constants
 * @param version {@code ih_ver}
 */
public record ImageHeader(long loadAddress, int headerSize, int protectedTlvSize, long imageSize, long flags,
        ImageVersion version) {

    /** {@code IMAGE_MAGIC}. */
    public static final int MAGIC = 0x96f3b83d;
    /** Bytes of the fixed header fields. */
    public static final int SIZE = 32;

    public static final long FLAG_PIC = 0x1;
    public static final long FLAG_ENCRYPTED_AES128 = 0x4;
    public static final long FLAG_ENCRYPTED_AES256 = 0x8;
    public static final long FLAG_NON_BOOTABLE = 0x10;
    public static final long FLAG_RAM_LOAD = 0x20;
    public static final long FLAG_ROM_FIXED = 0x100;
    public static final long FLAG_COMPRESSED_LZMA1 = 0x200;
    public static final long FLAG_COMPRESSED_LZMA2 = 0x400;
    public static final long FLAG_COMPRESSED_ARM_THUMB = 0x800;

    public ImageHeader {
        if (headerSize < SIZE || headerSize > 0xffff) {
            throw new IllegalArgumentException("header size 0x" + Integer.toHexString(headerSize)
                    + " is out of range (0x20 to 0xffff)");
        }
        if (protectedTlvSize < 0 || protectedTlvSize > 0xffff) {
            throw new IllegalArgumentException("protected TLV size is out of range");
        }
        if (loadAddress < 0 || loadAddress > 0xffff_ffffL || imageSize < 0 || imageSize > 0xffff_ffffL
                || flags < 0 || flags > 0xffff_ffffL) {
            throw new IllegalArgumentException("a 32-bit header field is out of range");
        }
    }

    /** The header's 32 bytes as MCUboot lays them out (little-endian, the last 4 bytes zero). */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt((int) loadAddress).putShort((short) headerSize).putShort((short) protectedTlvSize)
                .putInt((int) imageSize).putInt((int) flags).put((byte) version.major()).put((byte) version.minor())
                .putShort((short) version.revision()).putInt((int) version.build()).putInt(0);
        return b.array();
    }

    /**
     * Reads the 32 header bytes.
     *
     * @throws ImageException {@link ImageProblem#BAD_MAGIC} or {@link ImageProblem#BAD_HEADER}, with the reason
     */
    public static ImageHeader decode(byte[] bytes) throws ImageException {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        if (magic != MAGIC) {
            if (magic == Integer.reverseBytes(MAGIC)) {
                throw new ImageException(ImageProblem.BAD_MAGIC, "big-endian MCUboot image: only little-endian "
                        + "images are supported");
            }
            throw new ImageException(ImageProblem.BAD_MAGIC, String.format("bad magic 0x%08x, not an MCUboot image "
                    + "(its header starts with 0x%08x)", magic, MAGIC));
        }
        long loadAddress = Integer.toUnsignedLong(b.getInt());
        int headerSize = Short.toUnsignedInt(b.getShort());
        int protectedTlvSize = Short.toUnsignedInt(b.getShort());
        long imageSize = Integer.toUnsignedLong(b.getInt());
        long flags = Integer.toUnsignedLong(b.getInt());
        ImageVersion version = new ImageVersion(Byte.toUnsignedInt(b.get()), Byte.toUnsignedInt(b.get()),
                Short.toUnsignedInt(b.getShort()), Integer.toUnsignedLong(b.getInt()));
        if (headerSize < SIZE) {
            throw new ImageException(ImageProblem.BAD_HEADER, String.format("header size 0x%x is smaller than the "
                    + "0x%x bytes of the header's own fields", headerSize, SIZE));
        }
        if (protectedTlvSize != 0 && protectedTlvSize < Tlv.INFO_SIZE) {
            throw new ImageException(ImageProblem.BAD_HEADER, String.format("protected TLV size 0x%x is smaller "
                    + "than the 4-byte TLV info", protectedTlvSize));
        }
        return new ImageHeader(loadAddress, headerSize, protectedTlvSize, imageSize, flags, version);
    }

    /** Whether the payload is encrypted (AES-128 or AES-256): its hash then covers the plaintext. */
    public boolean encrypted() {
        return (flags & (FLAG_ENCRYPTED_AES128 | FLAG_ENCRYPTED_AES256)) != 0;
    }
}
