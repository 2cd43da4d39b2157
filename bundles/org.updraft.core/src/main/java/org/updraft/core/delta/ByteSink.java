package org.updraft.core.delta;

import java.util.Arrays;

/** A growing byte array, without ByteArrayOutputStream's locking. */
final class ByteSink {

    private byte[] bytes = new byte[256];
    private int size;

    void write(int b) {
        if (size == bytes.length) {
            bytes = Arrays.copyOf(bytes, bytes.length * 2);
        }
        bytes[size++] = (byte) b;
    }

    void write(byte[] b, int off, int len) {
        if (size + len > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + len));
        }
        System.arraycopy(b, off, bytes, size, len);
        size += len;
    }

    int size() {
        return size;
    }

    byte[] array() {
        return bytes;
    }
}
