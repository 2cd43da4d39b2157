package org.updraft.profile.espidf.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes ESP-IDF application images for the tests. No esptool can be installed on the machines the tests run on,
 * so this follows the format's published description instead: Espressif's "App Image Format" (ESP-IDF API
 * reference, {@code esp_image_header_t}, {@code esp_image_segment_header_t}) and esptool's "Firmware Image Format"
 * (header, extended header, segments, zero padding to one byte short of 16, the checksum 0xEF XOR the segments'
 * data, the SHA-256 of everything before it when hash appended is 1). Each setter breaks one thing on purpose.
 * Public for the integration tests in Karaf (itests), which carry it in their probe.
 */
public final class EspImageBuilder {

    private int chipId;
    private int minRevision;
    private int maxRevision = 399;
    private int spiMode = 2;
    private int flash = 0x20;
    private int segmentCount = -1;
    private int hashAppended = 1;
    private long entryPoint = -1;
    private Integer checksum;
    private boolean corruptDigest;
    private final List<Long> loadAddresses = new ArrayList<>();
    private final List<byte[]> data = new ArrayList<>();

    /** An ESP32 image of a DROM and an IRAM segment of {@code size} pseudo-random bytes each, entry at the IRAM's start. */
    public static EspImageBuilder esp32(int size) {
        return new EspImageBuilder().segment(0x3f400020L, bytes(size, 1)).segment(0x40080000L, bytes(size, 2));
    }

    static byte[] bytes(int size, int seed) {
        byte[] b = new byte[size];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    EspImageBuilder segment(long loadAddress, byte[] bytes) {
        loadAddresses.add(loadAddress);
        data.add(bytes);
        return this;
    }

    public EspImageBuilder chip(int id, int minRevision, int maxRevision) {
        this.chipId = id;
        this.minRevision = minRevision;
        this.maxRevision = maxRevision;
        return this;
    }

    EspImageBuilder spiMode(int mode) {
        this.spiMode = mode;
        return this;
    }

    EspImageBuilder flash(int sizeAndSpeed) {
        this.flash = sizeAndSpeed;
        return this;
    }

    EspImageBuilder segmentCount(int count) {
        this.segmentCount = count;
        return this;
    }

    EspImageBuilder hashAppended(int flag) {
        this.hashAppended = flag;
        return this;
    }

    EspImageBuilder entryPoint(long address) {
        this.entryPoint = address;
        return this;
    }

    public EspImageBuilder checksum(int value) {
        this.checksum = value;
        return this;
    }

    EspImageBuilder corruptDigest() {
        this.corruptDigest = true;
        return this;
    }

    /** The checksum the image carries unless {@link #checksum} overrides it. */
    public int rightChecksum() {
        int x = 0xEF;
        for (byte[] d : data) {
            for (byte b : d) {
                x ^= b & 0xFF;
            }
        }
        return x;
    }

    public byte[] build() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) 0xE9).put((byte) (segmentCount < 0 ? data.size() : segmentCount)).put((byte) spiMode)
                .put((byte) flash).putInt((int) (entryPoint < 0 ? loadAddresses.get(loadAddresses.size() - 1)
                        : entryPoint));
        h.put((byte) 0xEE).put(new byte[3]).putShort((short) chipId).put((byte) (minRevision / 100))
                .putShort((short) minRevision).putShort((short) maxRevision).put(new byte[4])
                .put((byte) hashAppended);
        out.write(h.array());
        for (int i = 0; i < data.size(); i++) {
            ByteBuffer s = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            s.putInt(loadAddresses.get(i).intValue()).putInt(data.get(i).length);
            out.write(s.array());
            out.write(data.get(i));
        }
        while (out.size() % 16 != 15) {
            out.write(0);
        }
        out.write(checksum == null ? rightChecksum() : checksum);
        if (hashAppended == 1) {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(out.toByteArray());
            if (corruptDigest) {
                digest[0] ^= 1;
            }
            out.write(digest);
        }
        return out.toByteArray();
    }
}
