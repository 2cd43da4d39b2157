package org.updraft.core.serving;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.StoreException;

/**
 * The most recently read image chunks, so that a block-wise download reads each chunk from the store once:
 * a store's ranged read checks the hash of every leaf it touches (256 KiB for the local store), and reading one
 * leaf per 16-byte block would cost the leaf's hash thousands of times over. Keyed by CID, so a chunk stays
 * valid across a swap of stores (same CID, same bytes). Concurrent misses of the same chunk read it once.
 */
public final class ChunkCache {

    /** The chunk size of {@code ipfs add} and of the local store's leaves: reads align with the leaves. */
    public static final int CHUNK_BYTES = 256 * 1024;

    private record Key(Cid cid, long index) {
    }

    private final int capacity;
    private final Map<Key, byte[]> chunks;
    private final ConcurrentHashMap<Key, CompletableFuture<byte[]>> loading = new ConcurrentHashMap<>();
    private final LongAdder storeReads = new LongAdder();

    /** @param capacity chunks kept; 0 keeps none (every block reads its chunk) */
    public ChunkCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("cached chunks must be 0 or more, not " + capacity);
        }
        this.capacity = capacity;
        this.chunks = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, byte[]> eldest) {
                return size() > ChunkCache.this.capacity;
            }
        };
    }

    /**
     * Reads {@code length} bytes of the image from {@code offset}.
     *
     * @param imageSize the image's size, from its release: chunks are cut at the end
     * @throws StoreException when the store fails, does not hold the image, or holds fewer bytes than its release
     *         says
     */
    public byte[] read(FirmwareStore store, Cid cid, long imageSize, long offset, int length) throws StoreException {
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long position = offset + done;
            long index = position / CHUNK_BYTES;
            int within = (int) (position % CHUNK_BYTES);
            byte[] chunk = chunk(store, cid, imageSize, index);
            int n = Math.min(length - done, chunk.length - within);
            if (n <= 0) {
                throw new StoreException("the store holds fewer bytes of " + cid + " than its release's "
                        + imageSize);
            }
            System.arraycopy(chunk, within, out, done, n);
            done += n;
        }
        return out;
    }

    /** How many chunks were read from a store so far (for tests and measurements). */
    public long storeReads() {
        return storeReads.sum();
    }

    private byte[] chunk(FirmwareStore store, Cid cid, long imageSize, long index) throws StoreException {
        Key key = new Key(cid, index);
        synchronized (chunks) {
            byte[] cached = chunks.get(key);
            if (cached != null) {
                return cached;
            }
        }
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> running = loading.putIfAbsent(key, mine);
        if (running != null) {
            return await(running);
        }
        try {
            byte[] chunk = load(store, cid, imageSize, index);
            synchronized (chunks) {
                chunks.put(key, chunk);
            }
            mine.complete(chunk);
            return chunk;
        } catch (StoreException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(key, mine);
        }
    }

    private byte[] load(FirmwareStore store, Cid cid, long imageSize, long index) throws StoreException {
        long start = index * CHUNK_BYTES;
        int expected = (int) Math.min(CHUNK_BYTES, imageSize - start);
        storeReads.increment();
        try (InputStream in = store.get(cid, start, expected)) {
            byte[] chunk = in.readNBytes(expected);
            if (chunk.length != expected) {
                throw new StoreException("the store returned " + chunk.length + " bytes of " + cid + " at " + start
                        + ", its release says " + expected);
            }
            return chunk;
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException("reading " + cid + " at " + start + " failed: " + e.getMessage(), e);
        }
    }

    private static byte[] await(CompletableFuture<byte[]> running) throws StoreException {
        try {
            return running.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
