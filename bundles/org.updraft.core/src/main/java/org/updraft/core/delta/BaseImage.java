package org.updraft.core.delta;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

import org.updraft.api.delta.DeltaException;

/**
 * The image a patch applies to, read by position (flash is addressable) through one small cache block: reads
 * near each other, as patches make them, cost one channel read per block.
 */
final class BaseImage {

    static final int CACHE = 16 * 1024;

    private final SeekableByteChannel channel;
    private final long size;
    private final String codec;
    private final byte[] cache = new byte[CACHE];
    private long cacheStart = -1;
    private int cacheLength;

    BaseImage(SeekableByteChannel channel, String codec) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        this.codec = codec;
    }

    long size() {
        return size;
    }

    /** Copies {@code len} bytes from {@code position}; a range outside the base means the patch is for another. */
    void read(long position, byte[] dst, int off, int len) throws IOException, DeltaException {
        if (position < 0 || position > size - len) {
            throw new DeltaException(DeltaException.Reason.BASE_MISMATCH, codec + " patch reads bytes " + position + " to "
                    + (position + len) + " of a base of " + size + " bytes: it was made for another base");
        }
        while (len > 0) {
            if (cacheStart < 0 || position < cacheStart || position >= cacheStart + cacheLength) {
                if (len >= CACHE) {
                    read(position, dst, off, len, true);
                    return;
                }
                cacheStart = position;
                cacheLength = (int) Math.min(CACHE, size - position);
                read(position, cache, 0, cacheLength, false);
            }
            int from = (int) (position - cacheStart);
            int n = Math.min(len, cacheLength - from);
            System.arraycopy(cache, from, dst, off, n);
            position += n;
            off += n;
            len -= n;
        }
    }

    private void read(long position, byte[] dst, int off, int len, boolean direct) throws IOException {
        int n = Channels.readAt(channel, position, dst, off, len);
        if (n != len) {
            if (!direct) {
                cacheStart = -1;
            }
            throw new IOException("the base image ended at byte " + (position + n) + " but reported a size of " + size);
        }
    }
}
