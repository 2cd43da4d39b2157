package org.updraft.transport.lorawan.internal.fuota;

import java.io.ByteArrayOutputStream;

/** Little-endian fields, appended; the values are already checked by the commands' constructors. */
final class FrameWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    FrameWriter u8(int v) {
        out.write(v);
        return this;
    }

    FrameWriter u16(int v) {
        out.write(v);
        out.write(v >>> 8);
        return this;
    }

    FrameWriter u24(int v) {
        u16(v);
        out.write(v >>> 16);
        return this;
    }

    FrameWriter u32(long v) {
        u16((int) v);
        u16((int) (v >>> 16));
        return this;
    }

    FrameWriter bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
