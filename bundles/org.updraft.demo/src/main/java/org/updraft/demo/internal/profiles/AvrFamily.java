package org.updraft.demo.internal.profiles;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;

/**
 * AVR devices: an ATmega328P with Optiboot in its top 512 bytes, so applications of up to 0x7E00 bytes from
 * address 0, delivered as the Intel HEX file {@code avr-objcopy -O ihex} writes.
 */
final class AvrFamily implements DemoFamily {

    static final String PID = "org.updraft.profile.avr";
    static final int FLASH_SIZE = 0x8000;
    static final int BOOTLOADER_SIZE = 0x200;
    static final int PAGE_SIZE = 128;
    /** avr-objcopy's record length. */
    private static final int RECORD = 16;
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    @Override
    public String profile() {
        return "avr";
    }

    @Override
    public String configurationPid() {
        return PID;
    }

    @Override
    public Map<String, Object> classConfiguration(String deviceClass) {
        return Map.of("device.class", deviceClass, "part", "atmega328p",
                "flash.size", "0x" + Integer.toHexString(FLASH_SIZE),
                "bootloader.size", "0x" + Integer.toHexString(BOOTLOADER_SIZE), "page.size", PAGE_SIZE);
    }

    /** An AVR image carries no version or sequence: the manifest's are the only ones. */
    @Override
    public byte[] image(String version, long sequence, byte[] program) {
        DemoFamily.checkPayload(this, program.length);
        return intelHex(program).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public int maxPayload() {
        return FLASH_SIZE - BOOTLOADER_SIZE;
    }

    /**
     * {@code flash} from address 0 as Intel HEX: data records of 16 bytes, an extended linear address record
     * before each 64 KiB beyond the first (larger parts than this one), the end-of-file record.
     */
    static String intelHex(byte[] flash) {
        StringBuilder hex = new StringBuilder(flash.length * 3);
        for (int address = 0; address < flash.length; address += RECORD) {
            if (address > 0 && address % 0x10000 == 0) {
                record(hex, 0, 0x04, new byte[] { (byte) (address >>> 24), (byte) (address >>> 16) }, 0, 2);
            }
            record(hex, address & 0xFFFF, 0x00, flash, address, Math.min(RECORD, flash.length - address));
        }
        record(hex, 0, 0x01, flash, 0, 0);
        return hex.toString();
    }

    /** {@code :}, count, address, type, data, and the checksum that makes the record's bytes sum to 0. */
    private static void record(StringBuilder hex, int address, int type, byte[] data, int from, int count) {
        int sum = count + (address >> 8) + (address & 0xFF) + type;
        for (int i = from; i < from + count; i++) {
            sum += data[i] & 0xFF;
        }
        hex.append(':').append(HEX.toHexDigits((byte) count)).append(HEX.toHexDigits((short) address))
                .append(HEX.toHexDigits((byte) type)).append(HEX.formatHex(data, from, from + count))
                .append(HEX.toHexDigits((byte) -sum)).append('\n');
    }

    @Override
    public String fileSuffix() {
        return ".hex";
    }
}
