package org.updraft.core.unixfs;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;
import org.updraft.api.multiformats.Cid;

/**
 * Receives the blocks of a UnixFS DAG from {@link UnixFsImporter}, each as soon as it is complete. Children
 * always arrive before the node that links to them, and the root arrives last.
 */
@ConsumerType
@FunctionalInterface
public interface BlockSink {

    /** A sink that keeps nothing, for computing a CID only. */
    BlockSink DISCARD = (cid, block) -> {
    };

    /**
     * Takes one encoded block.
     *
     * @param cid the block's CID: its codec (dag-pb or raw) and the sha2-256 of exactly the bytes given
     * @param block read-only; the encoded block lies between its position and limit. The importer reuses the
     *        memory behind it, so the bytes must be written or copied before this method returns.
     * @throws IOException to abort the import; the importer cannot be used afterwards
     */
    void accept(Cid cid, ByteBuffer block) throws IOException;
}
