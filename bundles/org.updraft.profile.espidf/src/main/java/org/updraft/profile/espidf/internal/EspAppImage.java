package org.updraft.profile.espidf.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.updraft.api.profile.ProfileException;

/**
 * An ESP-IDF application image ("App Image Format", the images {@code esptool elf2image} writes), checked as
 * ESP-IDF's bootloader checks an OTA partition before it boots it. All integers are little-endian:
 * <pre>
 *   header (8 bytes)           magic 0xE9, segment count, SPI mode, flash size (high nibble) and speed (low
 *                              nibble), entry point (u32)
 *   extended header (16 bytes) WP pin, 3 drive settings, chip id (u16), legacy min revision (u8), min and max
 *                              chip revision (u16 each, major * 100 + minor), 4 reserved, hash appended (u8)
 *   segments                   each a load address (u32), a data length (u32) and the data
 *   padding                    zeros until the file is one byte short of a multiple of 16
 *   checksum (1 byte)          0xEF XOR every byte of the segments' data
 *   SHA-256 (32 bytes)         of everything before it, when hash appended is 1
 * </pre>
 * Read front to back through a fixed buffer: memory does not grow with the image, and every length the image
 * claims is compared with the image's real size before it is read.
 */
final class EspAppImage {

    static final int MAGIC = 0xE9;
    static final int HEADER_SIZE = 24;
    /** ESP_IMAGE_MAX_SEGMENTS of ESP-IDF's bootloader. */
    static final int MAX_SEGMENTS = 16;
    static final int CHECKSUM_SEED = 0xEF;
    /** ESP-IDF's bootloader refuses a segment of 16 MiB or more: no memory region of these chips is larger. */
    private static final long MAX_SEGMENT_LENGTH = 16L << 20;
    private static final int DIGEST_SIZE = 32;
    private static final int BUFFER_SIZE = 64 * 1024;

    /** What the two headers say. */
    record Header(int segmentCount, long entryPoint, int chipId, int minRevision, int maxRevision,
            boolean hashAppended) {
    }

    /** One segment: where its data is loaded and how many bytes it has. */
    record Segment(long loadAddress, long length) {

        boolean contains(long address) {
            return address >= loadAddress && address < loadAddress + length;
        }

        /**
         * Whether both load bytes to the same addresses. Segments loaded at 0 are the padding esptool inserts so
         * that flash-mapped segments start on an MMU page; they are never loaded, and an image may have several.
         */
        boolean overlaps(Segment other) {
            return length > 0 && other.length > 0 && loadAddress != 0 && other.loadAddress != 0
                    && loadAddress < other.loadAddress + other.length
                    && other.loadAddress < loadAddress + length;
        }
    }

    private EspAppImage() {
    }

    /**
     * Reads and checks the two headers only, so that an image for another chip is refused for that first.
     *
     * @throws ProfileException when they are not an ESP-IDF application image's
     */
    static Header readHeader(SeekableByteChannel image, long size) throws ProfileException, IOException {
        if (size < HEADER_SIZE) {
            throw refusal("truncated", "image of " + size + " bytes is shorter than the " + HEADER_SIZE
                    + "-byte image header");
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        image.position(0);
        readFully(image, h);
        int magic = h.get(0) & 0xFF;
        if (magic != MAGIC) {
            throw refusal("bad-magic", String.format("magic 0x%02x is not an ESP-IDF image's 0x%02x", magic, MAGIC));
        }
        int count = h.get(1) & 0xFF;
        if (count == 0 || count > MAX_SEGMENTS) {
            throw refusal("bad-header", "segment count " + count + " is not 1 to " + MAX_SEGMENTS);
        }
        int spiMode = h.get(2) & 0xFF;
        // QIO, QOUT, DIO, DOUT, FAST_READ, SLOW_READ (esp_image_spi_mode_t)
        if (spiMode > 5) {
            throw refusal("bad-header", "SPI mode " + spiMode + " is not one of 0 to 5 (QIO to SLOW_READ)");
        }
        int flash = h.get(3) & 0xFF;
        int flashSize = flash >> 4;
        int flashSpeed = flash & 0x0F;
        // sizes 1 MB to 128 MB; speed codes 0, 1, 2 and 0xf (40, 26, 20, 80 MHz on the ESP32; newer chips reuse them)
        if (flashSize > 7 || !(flashSpeed <= 2 || flashSpeed == 0xF)) {
            throw refusal("bad-header", String.format("SPI flash byte 0x%02x names no flash size (0 to 7, high "
                    + "nibble) and speed (0, 1, 2 or 0xf, low nibble)", flash));
        }
        long entry = Integer.toUnsignedLong(h.getInt(4));
        int chip = Short.toUnsignedInt(h.getShort(12));
        int minRevision = Short.toUnsignedInt(h.getShort(15));
        int maxRevision = Short.toUnsignedInt(h.getShort(17));
        int hashAppended = h.get(23) & 0xFF;
        if (hashAppended > 1) {
            throw refusal("bad-header", "hash appended flag " + hashAppended + " is neither 0 nor 1");
        }
        if (minRevision > maxRevision) {
            throw refusal("bad-header", "minimum chip revision " + EspChip.revision(minRevision)
                    + " is above the maximum " + EspChip.revision(maxRevision));
        }
        return new Header(count, entry, chip, minRevision, maxRevision, hashAppended == 1);
    }

    /**
     * Reads the segments after the headers, the checksum and the appended SHA-256, and checks that they end the
     * image: lengths within the image, load addresses that neither wrap nor overlap, an entry point inside a
     * segment, the checksum, the digest.
     *
     * @return the segments
     * @throws ProfileException naming the first thing the bootloader would refuse
     */
    static List<Segment> readSegments(SeekableByteChannel image, long size, Header header)
            throws ProfileException, IOException {
        MessageDigest sha256 = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer headerBytes = ByteBuffer.allocate(HEADER_SIZE);
        image.position(0);
        readFully(image, headerBytes);
        sha256.update(headerBytes.flip());

        List<Segment> segments = new ArrayList<>(header.segmentCount());
        long position = HEADER_SIZE;
        int checksum = CHECKSUM_SEED;
        ByteBuffer segmentHeader = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < header.segmentCount(); i++) {
            if (position + 8 > size) {
                throw refusal("truncated", String.format("segment %d of %d: its header at 0x%x is past the "
                        + "image's end 0x%x", i, header.segmentCount(), position, size));
            }
            readFully(image, segmentHeader.clear());
            sha256.update(segmentHeader.flip());
            Segment segment = new Segment(Integer.toUnsignedLong(segmentHeader.getInt(0)),
                    Integer.toUnsignedLong(segmentHeader.getInt(4)));
            position += 8;
            if (segment.length() % 4 != 0 || segment.length() >= MAX_SEGMENT_LENGTH) {
                throw refusal("bad-segment", String.format("segment %d: length 0x%x is not a multiple of 4 below "
                        + "16 MiB", i, segment.length()));
            }
            if (position + segment.length() > size) {
                throw refusal("truncated", String.format("segment %d: 0x%x bytes at 0x%x run past the image's end "
                        + "0x%x", i, segment.length(), position, size));
            }
            if (segment.loadAddress() + segment.length() > 0x1_0000_0000L) {
                throw refusal("bad-segment", String.format("segment %d: 0x%x bytes loaded at 0x%08x run past the "
                        + "end of the address space", i, segment.length(), segment.loadAddress()));
            }
            for (int j = 0; j < segments.size(); j++) {
                if (segment.overlaps(segments.get(j))) {
                    throw refusal("bad-segment", String.format("segment %d (0x%08x, 0x%x bytes) overlaps segment "
                            + "%d (0x%08x, 0x%x bytes)", i, segment.loadAddress(), segment.length(), j,
                            segments.get(j).loadAddress(), segments.get(j).length()));
                }
            }
            long remaining = segment.length();
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(BUFFER_SIZE, remaining));
                readFully(image, buffer);
                buffer.flip();
                sha256.update(buffer.duplicate());
                while (buffer.hasRemaining()) {
                    checksum ^= buffer.get();
                }
                remaining -= buffer.limit();
            }
            position += segment.length();
            segments.add(segment);
        }
        checksum &= 0xFF;
        if (segments.stream().noneMatch(s -> s.contains(header.entryPoint()))) {
            throw refusal("bad-header", String.format("entry point 0x%08x is in none of the %d segments",
                    header.entryPoint(), segments.size()));
        }

        // zeros up to one byte short of a multiple of 16, then the checksum byte
        long checksumAt = position | 0x0F;
        long end = checksumAt + 1 + (header.hashAppended() ? DIGEST_SIZE : 0);
        if (end > size) {
            throw refusal("truncated", String.format("image ends at 0x%x, before its %s at 0x%x", size,
                    header.hashAppended() ? "checksum and SHA-256" : "checksum", checksumAt));
        }
        ByteBuffer footer = buffer.clear().limit((int) (checksumAt + 1 - position));
        readFully(image, footer);
        footer.flip();
        sha256.update(footer.duplicate());
        int stored = footer.get(footer.limit() - 1) & 0xFF;
        if (stored != checksum) {
            throw refusal("bad-checksum", String.format("checksum 0x%02x does not match 0x%02x", stored, checksum));
        }
        if (header.hashAppended()) {
            ByteBuffer appended = ByteBuffer.allocate(DIGEST_SIZE);
            readFully(image, appended);
            byte[] computed = sha256.digest();
            if (!MessageDigest.isEqual(computed, appended.array())) {
                throw refusal("invalid-hash", "appended SHA-256 " + HexFormat.of().formatHex(appended.array())
                        + " does not match the image's " + HexFormat.of().formatHex(computed));
            }
        }
        if (end != size) {
            // secure boot's signature block would follow here; this profile checks no signature, so it takes none
            throw refusal("trailing-data", String.format("0x%x bytes follow the image's end at 0x%x (secure boot "
                    + "signature blocks are not supported)", size - end, end));
        }
        return segments;
    }

    private static void readFully(SeekableByteChannel image, ByteBuffer into) throws ProfileException, IOException {
        while (into.hasRemaining()) {
            if (image.read(into) < 0) {
                throw refusal("truncated", "the image ended before its size: it changed while being checked");
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    static ProfileException refusal(String reason, String message) {
        return new ProfileException(reason, EspIdfProfile.ID + ": " + message);
    }
}
