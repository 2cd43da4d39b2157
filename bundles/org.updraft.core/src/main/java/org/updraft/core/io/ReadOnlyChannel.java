package org.updraft.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only {@link SeekableByteChannel} of a known size: the position, the end, closing and the refused writes,
 * so that an image held elsewhere (in memory, in a firmware store) only says how it reads a range. Not
 * thread-safe, as channels that keep a position are not.
 */
public abstract class ReadOnlyChannel implements SeekableByteChannel {

    private final long size;
    private long position;
    private boolean open = true;

    protected ReadOnlyChannel(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        this.size = size;
    }

    /**
     * Reads {@code length} bytes (at least one; never past the size) starting at {@code position} into
     * {@code dst}, or fewer.
     *
     * @return how many bytes were read: at least one, or the channel's source ended early, which is an
     *         {@link IOException} the implementation throws
     */
    protected abstract int readAt(long position, ByteBuffer dst, int length) throws IOException;

    @Override
    public final int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (position >= size) {
            return -1;
        }
        int length = (int) Math.min(dst.remaining(), size - position);
        if (length == 0) {
            return 0;
        }
        int n = readAt(position, dst, length);
        position += n;
        return n;
    }

    @Override
    public final int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public final long position() throws IOException {
        ensureOpen();
        return position;
    }

    @Override
    public final SeekableByteChannel position(long newPosition) throws IOException {
        ensureOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        position = newPosition;
        return this;
    }

    @Override
    public final long size() throws IOException {
        ensureOpen();
        return size;
    }

    @Override
    public final SeekableByteChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public final boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        open = false;
    }

    private void ensureOpen() throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }
}
