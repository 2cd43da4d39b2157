package org.updraft.core.mcuboot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * One type-length-value entry of an image's protected or unprotected TLV area: a 16-bit type, a 16-bit length
 * and the value.
 *
 * @param type the TLV type, e.g. {@link #SHA256}
 * @param value its bytes
 * @param offset where its 4-byte TLV header starts in the image
 */
public record Tlv(int type, byte[] value, long offset) {

    /** Magic of the TLV info that starts the unprotected TLV area. */
    public static final int INFO_MAGIC = 0x6907;
    /** Magic of the TLV info that starts the protected TLV area. */
    public static final int PROTECTED_INFO_MAGIC = 0x6908;
    /** Bytes of a TLV info (magic, total size) and of a TLV's header (type, length). */
    public static final int INFO_SIZE = 4;

    public static final int KEYHASH = 0x01;
    public static final int PUBKEY = 0x02;
    public static final int SHA256 = 0x10;
    public static final int SHA384 = 0x11;
    public static final int SHA512 = 0x12;
    public static final int RSA2048 = 0x20;
    public static final int ECDSA224 = 0x21;
    public static final int ECDSASIG = 0x22;
    public static final int RSA3072 = 0x23;
    public static final int ED25519 = 0x24;
    public static final int SIG_PURE = 0x25;
    public static final int ENCRSA2048 = 0x30;
    public static final int ENCKW = 0x31;
    public static final int ENCEC256 = 0x32;
    public static final int ENCX25519 = 0x33;
    public static final int ENCX25519_SHA512 = 0x34;
    public static final int DEPENDENCY = 0x40;
    public static final int SEC_CNT = 0x50;
    public static final int BOOT_RECORD = 0x60;

    private static final Map<Integer, String> NAMES = Map.ofEntries(Map.entry(KEYHASH, "KEYHASH"),
            Map.entry(PUBKEY, "PUBKEY"), Map.entry(SHA256, "SHA256"), Map.entry(SHA384, "SHA384"),
            Map.entry(SHA512, "SHA512"), Map.entry(RSA2048, "RSA2048"), Map.entry(ECDSA224, "ECDSA224"),
            Map.entry(ECDSASIG, "ECDSASIG"), Map.entry(RSA3072, "RSA3072"), Map.entry(ED25519, "ED25519"),
            Map.entry(SIG_PURE, "SIG_PURE"), Map.entry(ENCRSA2048, "ENCRSA2048"), Map.entry(ENCKW, "ENCKW"),
            Map.entry(ENCEC256, "ENCEC256"), Map.entry(ENCX25519, "ENCX25519"),
            Map.entry(ENCX25519_SHA512, "ENCX25519_SHA512"), Map.entry(DEPENDENCY, "DEPENDENCY"),
            Map.entry(SEC_CNT, "SEC_CNT"), Map.entry(BOOT_RECORD, "BOOT_RECORD"), Map.entry(0x70, "DECOMP_SIZE"),
            Map.entry(0x71, "DECOMP_SHA"), Map.entry(0x72, "DECOMP_SIGNATURE"), Map.entry(0x73, "COMP_DEC_SIZE"),
            Map.entry(0x74, "UUID_VID"), Map.entry(0x75, "UUID_CID"));

    public Tlv {
        if (type < 0 || type > 0xffff || value.length > 0xffff) {
            throw new IllegalArgumentException("a TLV has a 16-bit type and at most 0xffff bytes");
        }
        value = value.clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value's length. */
    public int length() {
        return value.length;
    }

    /** How dumpinfo names the type: {@code SHA256 (0x10)}, or {@code TLV 0xa0} for a type it has no name for. */
    public static String name(int type) {
        String name = NAMES.get(type);
        return name == null ? String.format("TLV 0x%x", type) : name + String.format(" (0x%x)", type);
    }

    @Override
    public String toString() {
        return name(type) + ", " + value.length + " bytes at 0x" + Long.toHexString(offset);
    }

    /** A TLV area's bytes as imgtool writes it: info (magic, total size), then each TLV. */
    static byte[] area(int magic, byte[]... entries) {
        int total = INFO_SIZE;
        for (byte[] e : entries) {
            total += e.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) magic).putShort((short) total);
        for (byte[] e : entries) {
            b.put(e);
        }
        return b.array();
    }

    /** One TLV's bytes: imgtool writes MCUboot's own types as type byte, zero byte, 16-bit length. */
    static byte[] entry(int type, byte[] value) {
        return ByteBuffer.allocate(INFO_SIZE + value.length).order(ByteOrder.LITTLE_ENDIAN).putShort((short) type)
                .putShort((short) value.length).put(value).array();
    }
}
