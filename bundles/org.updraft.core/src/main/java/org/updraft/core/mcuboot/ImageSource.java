package org.updraft.core.mcuboot;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.Objects;

/**
 * Random access to the bytes of an image or firmware file: a file channel, a flash slot, an array. The checks
 * read the header and the TLV areas at their offsets and stream the payload, so a source is never loaded whole.
 */
public interface ImageSource {

    /** Bytes in the source. */
    long size() throws IOException;

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code into}.
     *
     * @throws EOFException when the source ends first
     */
    void read(long position, byte[] into, int offset, int length) throws IOException;

    /** An array (not copied: it must not change while it is read). */
    static ImageSource of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new ImageSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void read(long position, byte[] into, int offset, int length) throws EOFException {
                if (position < 0 || position + length > bytes.length) {
                    throw new EOFException("read past the end of " + bytes.length + " bytes");
                }
                System.arraycopy(bytes, (int) position, into, offset, length);
            }
        };
    }

    /** A channel, typically a {@link java.nio.channels.FileChannel}; the caller closes it. */
    static ImageSource of(SeekableByteChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new ImageSource() {
            @Override
            public long size() throws IOException {
                return channel.size();
            }

            @Override
            public void read(long position, byte[] into, int offset, int length) throws IOException {
                channel.position(position);
                ByteBuffer buffer = ByteBuffer.wrap(into, offset, length);
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new EOFException("the file ended at 0x" + Long.toHexString(channel.position()));
                    }
                }
            }
        };
    }
}
