package org.updraft.platform.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;

/**
 * A stored image read by position, one range request per read: what a device profile reads of a previous release
 * (a header, a TLV area) is fetched, never the whole image.
 */
final class StoredImageChannel implements SeekableByteChannel {

    private final FirmwareStore store;
    private final Cid cid;
    private final long size;
    private long position;
    private boolean open = true;

    StoredImageChannel(FirmwareStore store, Cid cid, long size) {
        this.store = store;
        this.cid = cid;
        this.size = size;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (position >= size) {
            return -1;
        }
        int wanted = (int) Math.min(dst.remaining(), size - position);
        if (wanted == 0) {
            return 0;
        }
        int done = 0;
        try (InputStream in = store.get(cid, position, wanted)) {
            byte[] buffer = new byte[Math.min(wanted, 64 * 1024)];
            while (done < wanted) {
                int n = in.read(buffer, 0, Math.min(buffer.length, wanted - done));
                if (n < 0) {
                    break;
                }
                dst.put(buffer, 0, n);
                done += n;
            }
        }
        if (done == 0) {
            throw new IOException("the store ended object " + cid + " at " + position + " of " + size + " bytes");
        }
        position += done;
        return done;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
        ensureOpen();
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        ensureOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position");
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }
}
