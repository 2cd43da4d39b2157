package org.updraft.demo.internal.profiles;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * ESP32 devices running ESP-IDF: application images for an ESP32 (chip id 0) of revisions v1.0 and v3.0, written
 * to 1 MiB OTA partitions (ESP-IDF's "two OTA" partition table on 4 MB of flash).
 */
final class EspIdfFamily implements DemoFamily {

    static final String PID = "org.updraft.profile.espidf";
    static final int CHIP_ESP32 = 0;
    static final long PARTITION_SIZE = 0x100000;
    /** Headers, the app description, padding, checksum and digest fit in this; the program gets the rest. */
    private static final int OVERHEAD = 0x200;

    /** Where ESP32's flash-mapped data and instructions start (DROM, IROM). */
    private static final long DROM = 0x3F40_0000L;
    private static final long IROM = 0x400D_0000L;
    /** The MMU maps flash in 64 KiB pages: a flash-mapped segment's address and image offset agree modulo that. */
    private static final int MMU_PAGE = 0x10000;

    /** {@code esp_app_desc_t}, first in the DROM segment: where a running app (and OTA tooling) reads its version. */
    private static final int APP_DESC_SIZE = 256;
    private static final int APP_DESC_MAGIC = 0xABCD5432;

    /** Images for every ESP32 revision up to v3.99, as ESP-IDF builds them by default. */
    private final EspAppImageWriter writer = new EspAppImageWriter(CHIP_ESP32, 0, 399);

    @Override
    public String profile() {
        return "esp-idf";
    }

    @Override
    public String configurationPid() {
        return PID;
    }

    @Override
    public Map<String, Object> classConfiguration(String deviceClass) {
        return Map.of("device.class", deviceClass, "chip.id", CHIP_ESP32,
                "chip.revisions", new String[] { "v1.0", "v3.0" },
                "partition.size", "0x" + Long.toHexString(PARTITION_SIZE));
    }

    /**
     * Two segments, as a minimal application has: the app description (with {@code version}) in DROM, the
     * program in IROM, where it starts. ESP-IDF's anti-rollback is not used: the sequence has no place here.
     */
    @Override
    public byte[] image(String version, long sequence, byte[] program) {
        DemoFamily.checkPayload(this, program.length);
        int programOffset = EspAppImageWriter.HEADER_SIZE + EspAppImageWriter.footprint(APP_DESC_SIZE)
                + EspAppImageWriter.SEGMENT_HEADER_SIZE;
        long programAddress = IROM + programOffset % MMU_PAGE;
        long descAddress = DROM + (EspAppImageWriter.HEADER_SIZE + EspAppImageWriter.SEGMENT_HEADER_SIZE);
        return writer.write(programAddress, List.of(new EspAppImageWriter.Segment(descAddress, appDescription(version)),
                new EspAppImageWriter.Segment(programAddress, program)));
    }

    @Override
    public int maxPayload() {
        return (int) (PARTITION_SIZE - OVERHEAD);
    }

    /** magic, secure version, reserved, then version and project name: 32-byte NUL-terminated strings. */
    private static byte[] appDescription(String version) {
        ByteBuffer desc = ByteBuffer.allocate(APP_DESC_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        desc.putInt(APP_DESC_MAGIC).putInt(0).putLong(0);
        desc.put(text(version)).put(text("updraft-demo"));
        return desc.array();
    }

    private static byte[] text(String s) {
        byte[] field = new byte[32];
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > field.length - 1) {
            throw new IllegalArgumentException("version '" + s + "' is longer than the 31 bytes an ESP-IDF app "
                    + "description holds");
        }
        System.arraycopy(bytes, 0, field, 0, bytes.length);
        return field;
    }
}
