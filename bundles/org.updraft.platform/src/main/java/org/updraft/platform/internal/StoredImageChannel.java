package org.updraft.platform.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.core.io.ReadOnlyChannel;

/**
 * A stored image read by position, one range request per read: what a device profile reads of a previous release
 * (a header, a TLV area) is fetched, never the whole image.
 */
final class StoredImageChannel extends ReadOnlyChannel {

    private final FirmwareStore store;
    private final Cid cid;
    private final long size;

    StoredImageChannel(FirmwareStore store, Cid cid, long size) {
        super(size);
        this.store = store;
        this.cid = cid;
        this.size = size;
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int length) throws IOException {
        int done = 0;
        try (InputStream in = store.get(cid, position, length)) {
            byte[] buffer = new byte[Math.min(length, 64 * 1024)];
            while (done < length) {
                int n = in.read(buffer, 0, Math.min(buffer.length, length - done));
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
        return done;
    }
}
