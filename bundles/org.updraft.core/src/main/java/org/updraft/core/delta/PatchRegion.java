package org.updraft.core.delta;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

import org.updraft.api.delta.DeltaException;

/**
 * A byte range of a patch, read front to back through a small buffer. Several regions of one patch may be
 * read in turn (BSDIFF40's three blocks, VCDIFF's three sections); each keeps its own position.
 */
final class PatchRegion {

    static final int BUFFER = 4096;

    private final SeekableByteChannel channel;
    private final long end;
    private final String what;
    private final byte[] buffer;
    private long next;
    private int at;
    private int limit;

    /**
     * @param end where the region ends; a channel ending before it makes reads past the channel's end fail as
     *        truncated
     * @param what names the region in messages, e.g. "bsdiff diff block"
     */
    PatchRegion(SeekableByteChannel channel, long start, long end, String what) {
        this(channel, start, end, what, BUFFER);
    }

    PatchRegion(SeekableByteChannel channel, long start, long end, String what, int bufferSize) {
        this.channel = channel;
        this.next = start;
        this.end = end;
        this.what = what;
        this.buffer = new byte[bufferSize];
    }

    /** The next byte, or -1 at the region's end. */
    int read() throws IOException, DeltaException {
        if (at == limit && !fill()) {
            return -1;
        }
        return buffer[at++] & 0xff;
    }

    /** The next byte; the region's end is a truncated patch. */
    int readByte() throws IOException, DeltaException {
        int b = read();
        if (b < 0) {
            throw truncated();
        }
        return b;
    }

    /** Exactly {@code len} bytes; the region's end is a truncated patch. */
    void readFully(byte[] dst, int off, int len) throws IOException, DeltaException {
        while (len > 0) {
            if (at == limit && !fill()) {
                throw truncated();
            }
            int n = Math.min(len, limit - at);
            System.arraycopy(buffer, at, dst, off, n);
            at += n;
            off += n;
            len -= n;
        }
    }

    /** Skips {@code n} bytes; the region's end is a truncated patch. */
    void skip(long n) throws IOException, DeltaException {
        long buffered = limit - at;
        if (n <= buffered) {
            at += (int) n;
            return;
        }
        long target = next + (n - buffered);
        at = limit;
        if (target > end) {
            throw truncated();
        }
        next = target;
    }

    /** The patch offset of the next byte. */
    long position() {
        return next - (limit - at);
    }

    /** Whether every byte of the region has been read. */
    boolean atEnd() throws IOException, DeltaException {
        return at == limit && !fill();
    }

    private boolean fill() throws IOException, DeltaException {
        if (next >= end) {
            return false;
        }
        int want = (int) Math.min(buffer.length, end - next);
        int n = Channels.readAt(channel, next, buffer, 0, want);
        if (n <= 0) {
            throw truncated();
        }
        next += n;
        at = 0;
        limit = n;
        return true;
    }

    DeltaException truncated() {
        return new DeltaException(DeltaException.Reason.TRUNCATED, what + " ends early: the patch is cut short at byte "
                + position());
    }
}
