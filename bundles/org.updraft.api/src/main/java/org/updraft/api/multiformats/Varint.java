package org.updraft.api.multiformats;

import java.io.ByteArrayOutputStream;

/** Unsigned LEB128 varints, as used by multicodec, multihash and CID prefixes. */
public final class Varint {

    private Varint() {
    }

    public static byte[] encode(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("varint must not be negative: " + value);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(10);
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
        return out.toByteArray();
    }

    /**
     * Decodes the varint at {@code offset}.
     *
     * @return the value and the number of bytes it took, as {@code long[]{value, length}}
     * @throws IllegalArgumentException when the bytes end inside the varint or it exceeds 63 bits
     */
    public static long[] decode(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 0; i < 9; i++) {
            if (offset + i >= bytes.length) {
                throw new IllegalArgumentException("truncated varint");
            }
            int b = bytes[offset + i] & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (i > 0 && b == 0) {
                    throw new IllegalArgumentException("varint is not minimally encoded");
                }
                return new long[] {value, i + 1};
            }
        }
        throw new IllegalArgumentException("varint longer than 63 bits");
    }
}
