package org.updraft.api.store;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.updraft.api.multiformats.Cid;

/**
 * Content-addressed storage for firmware images. The CID a store returns is the CID that
 * {@code ipfs add} computes for the same bytes and {@link CidOptions}, so a manifest signed offline names
 * the image wherever it is stored.
 *
 * <p>Implementations register with the service property {@value #KIND} (for example {@code local} or
 * {@code ipfs}); consumers pick one with a target filter taken from their configuration.
 *
 * <p>What every implementation guarantees:
 * <ul>
 * <li>{@link #put} is atomic: until it returns, no reader sees the object; if it fails or is interrupted,
 * nothing of it becomes visible.</li>
 * <li>Bytes served by {@link #get} match their CID: a block whose hash does not match is reported with
 * {@link CorruptObjectException}, never served.</li>
 * <li>Memory use does not grow with the object's size.</li>
 * </ul>
 */
@ProviderType
public interface FirmwareStore {

    /** Service property naming the backend, e.g. {@code store.kind=local}. */
    String KIND = "store.kind";

    /** Service property of the platform's serving store, which chooses among the backends ({@code org.updraft.store}). */
    String ROLE = "store.role";

    /**
     * Target filter of the store devices are served from and releases are published to: the serving store, which
     * forwards to the preferred backend and reads from the fallback ({@code org.updraft.store}).
     */
    String SERVING = "(" + ROLE + "=serving)";

    /**
     * Reads {@code content} to its end and stores it. Returns once the object is durable. The caller
     * keeps ownership of the stream and closes it.
     */
    StoredObject put(InputStream content, CidOptions options) throws StoreException;

    /** Stores with {@link CidOptions#DEFAULT}: CIDv0, 256 KiB chunks, as {@code ipfs add} does. */
    default StoredObject put(InputStream content) throws StoreException {
        return put(content, CidOptions.DEFAULT);
    }

    /**
     * Opens {@code length} bytes of the object from {@code offset}; a negative {@code length} reads to the
     * end. A range past the end is cut at the end. The stream's {@code read} throws
     * {@link CorruptObjectException} when a block fails its hash check.
     *
     * @throws ObjectNotFoundException when the store does not hold the object
     */
    InputStream get(Cid cid, long offset, long length) throws StoreException;

    /** The whole object. */
    default InputStream get(Cid cid) throws StoreException {
        return get(cid, 0, -1);
    }

    /** Size and layout of the object, or empty when the store does not hold it. */
    Optional<ObjectStat> stat(Cid cid) throws StoreException;

    /** Protects the object from garbage collection. Objects are pinned when they are put. */
    void pin(Cid cid) throws StoreException;

    /** Allows the object to be garbage collected; it may still be served until it is. */
    void unpin(Cid cid) throws StoreException;

    /** The pinned objects, in no particular order. */
    List<ObjectStat> list() throws StoreException;

    /** Health and totals, for operators. Never throws: an unreachable backend says so here. */
    StoreStatus status();
}
