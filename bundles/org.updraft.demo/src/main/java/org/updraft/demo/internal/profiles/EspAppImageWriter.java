package org.updraft.demo.internal.profiles;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Writes ESP-IDF application images, in the "App Image Format" of Espressif's ESP-IDF Programming Guide (what
 * {@code esptool elf2image} makes of an application), little-endian throughout:
 * <pre>
 *   header (8)            magic 0xE9, segment count, SPI mode, flash size (high nibble) and speed (low), entry point
 *   extended header (16)  WP pin, 3 drive settings, chip id (u16), legacy min revision, min and max chip revision
 *                         (u16 each, major * 100 + minor), 4 reserved, hash appended
 *   segments              load address (u32), length (u32, a multiple of 4), data
 *   padding, checksum     zeros up to one byte short of a multiple of 16, then 0xEF XOR every segment data byte
 *   SHA-256 (32)          of everything before it
 * </pre>
 */
final class EspAppImageWriter {

    static final int HEADER_SIZE = 24;
    static final int SEGMENT_HEADER_SIZE = 8;
    private static final int MAGIC = 0xE9;
    private static final int SPI_MODE_DIO = 2;
    /** 4 MB flash (2 in the high nibble) at 40 MHz (0): an ESP32-WROOM module's. */
    private static final int FLASH_4MB_40MHZ = 0x20;
    /** The extended header's "no write-protect pin". */
    private static final int WP_PIN_DISABLED = 0xEE;
    private static final int CHECKSUM_SEED = 0xEF;

    /** One segment: the address its data is loaded to or mapped at, and the data. */
    record Segment(long loadAddress, byte[] data) {
    }

    private final int chipId;
    private final int minRevision;
    private final int maxRevision;

    /**
     * @param chipId the target's {@code esp_chip_id_t} (ESP32 0)
     * @param minRevision the oldest chip revision the image runs on, {@code major * 100 + minor}
     * @param maxRevision the newest, likewise
     */
    EspAppImageWriter(int chipId, int minRevision, int maxRevision) {
        this.chipId = chipId;
        this.minRevision = minRevision;
        this.maxRevision = maxRevision;
    }

    /** Bytes a segment takes in the image: its header and its data padded to a multiple of 4. */
    static int footprint(int dataLength) {
        return SEGMENT_HEADER_SIZE + padded(dataLength);
    }

    /** The image of {@code segments}, starting at {@code entryPoint}, with its SHA-256 appended. */
    byte[] write(long entryPoint, List<Segment> segments) {
        int body = HEADER_SIZE + segments.stream().mapToInt(s -> footprint(s.data().length)).sum();
        int checksumAt = body | 0x0F;
        ByteBuffer image = ByteBuffer.allocate(checksumAt + 1 + 32).order(ByteOrder.LITTLE_ENDIAN);
        image.put((byte) MAGIC).put((byte) segments.size()).put((byte) SPI_MODE_DIO).put((byte) FLASH_4MB_40MHZ)
                .putInt((int) entryPoint);
        image.put((byte) WP_PIN_DISABLED).put(new byte[3]).putShort((short) chipId)
                .put((byte) Math.min(minRevision / 100, 0xFF)).putShort((short) minRevision)
                .putShort((short) maxRevision).put(new byte[4]).put((byte) 1);
        int checksum = CHECKSUM_SEED;
        for (Segment segment : segments) {
            byte[] data = segment.data();
            image.putInt((int) segment.loadAddress()).putInt(padded(data.length)).put(data)
                    .put(new byte[padded(data.length) - data.length]);
            for (byte b : data) {
                checksum ^= b;
            }
        }
        image.position(checksumAt);
        image.put((byte) checksum);
        image.put(sha256(image.array(), checksumAt + 1));
        return image.array();
    }

    private static int padded(int length) {
        return (length + 3) & ~3;
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
