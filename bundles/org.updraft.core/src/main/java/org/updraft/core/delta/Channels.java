package org.updraft.core.delta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

import org.updraft.api.delta.DeltaException;

/** Reads by position from any {@link SeekableByteChannel}; a {@link FileChannel} is read without moving it. */
final class Channels {

    private Channels() {
    }

    /**
     * Fills {@code dst} from {@code position} on, stopping early only at the channel's end.
     *
     * @return the bytes read
     */
    static int readAt(SeekableByteChannel channel, long position, ByteBuffer dst) throws IOException {
        int start = dst.position();
        long at = position;
        if (channel instanceof FileChannel file) {
            while (dst.hasRemaining()) {
                int n = file.read(dst, at);
                if (n < 0) {
                    break;
                }
                at += n;
            }
        } else {
            channel.position(position);
            while (dst.hasRemaining()) {
                if (channel.read(dst) < 0) {
                    break;
                }
            }
        }
        return dst.position() - start;
    }

    static int readAt(SeekableByteChannel channel, long position, byte[] dst, int off, int len) throws IOException {
        return readAt(channel, position, ByteBuffer.wrap(dst, off, len));
    }

    /** The most bytes an image may have where a codec holds it whole (making a patch): a Java array's. */
    static final long MAX_IMAGE = Integer.MAX_VALUE - 8;

    /** The whole channel, from position 0 to its size. */
    static byte[] readAll(SeekableByteChannel channel, String codec, String what) throws IOException, DeltaException {
        long size = channel.size();
        if (size > MAX_IMAGE) {
            throw new DeltaException(DeltaException.Reason.UNSUPPORTED, codec + " makes patches of images up to "
                    + MAX_IMAGE + " bytes; the " + what + " has " + size);
        }
        byte[] bytes = new byte[(int) size];
        int n = readAt(channel, 0, bytes, 0, bytes.length);
        if (n != bytes.length) {
            throw new IOException("the " + what + " ended at byte " + n + " but reported a size of " + size);
        }
        return bytes;
    }
}
