package org.updraft.core.unixfs;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;
import org.updraft.api.multiformats.Cid;

/** Where {@link UnixFsReader} fetches blocks from: a directory, a cache, an IPFS node. */
@ConsumerType
@FunctionalInterface
public interface BlockSource {

    /**
     * The bytes stored for {@code cid}. The source need not check them: the reader hashes every block
     * before it uses it.
     *
     * @throws IOException when the block is missing or cannot be read, with a message naming the block
     */
    byte[] block(Cid cid) throws IOException;
}
