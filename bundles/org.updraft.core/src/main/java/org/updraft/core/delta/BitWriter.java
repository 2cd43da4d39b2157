package org.updraft.core.delta;

import java.util.Arrays;

/** Bits, most significant first, into a growing byte array. */
final class BitWriter {

    private byte[] bytes = new byte[1024];
    private int size;
    private long buffer;
    private int count;

    void write(int n, int value) {
        buffer = (buffer << n) | (value & ((1L << n) - 1));
        count += n;
        while (count >= 8) {
            count -= 8;
            if (size == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[size++] = (byte) (buffer >>> count);
        }
    }

    void write48(long value) {
        write(24, (int) (value >>> 24));
        write(24, (int) value);
    }

    /** Pads the last byte with zero bits and returns everything written. */
    byte[] finish() {
        if (count > 0) {
            write(8 - count, 0);
        }
        return Arrays.copyOf(bytes, size);
    }
}
