package org.updraft.core.delta;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

/** A target slot of fixed size: writing past it fails the test, whatever the codec was told. */
final class Sink extends OutputStream {

    private final long size;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Sink(long size) {
        this.size = size;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        if (bytes.size() + (long) len > size) {
            fail("the codec wrote past the target's " + size + " bytes");
        }
        bytes.write(b, off, len);
    }

    int written() {
        return bytes.size();
    }

    byte[] bytes() {
        return bytes.toByteArray();
    }
}
