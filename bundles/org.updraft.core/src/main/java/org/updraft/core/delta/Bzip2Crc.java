package org.updraft.core.delta;

/** bzip2's CRC-32: polynomial 0x04C11DB7, most significant bit first, unlike zip's reflected CRC-32. */
final class Bzip2Crc {

    private static final int[] TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i << 24;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x80000000) != 0 ? (c << 1) ^ 0x04C11DB7 : c << 1;
            }
            TABLE[i] = c;
        }
    }

    private Bzip2Crc() {
    }

    static int update(int crc, int b) {
        return (crc << 8) ^ TABLE[((crc >>> 24) ^ b) & 0xff];
    }

    static int update(int crc, byte[] b, int off, int len) {
        for (int i = off, end = off + len; i < end; i++) {
            crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ b[i]) & 0xff];
        }
        return crc;
    }

    /** The same byte {@code count} times. */
    static int repeat(int crc, int b, int count) {
        for (int i = 0; i < count; i++) {
            crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ b) & 0xff];
        }
        return crc;
    }

    /** A stream's CRC folds in each block's: rotate left by one, then xor. */
    static int combine(int combined, int block) {
        return ((combined << 1) | (combined >>> 31)) ^ block;
    }
}
