package org.updraft.api.store;

import org.updraft.api.multiformats.Cid;

/**
 * A stored object.
 *
 * @param cid its root CID
 * @param size file size in bytes (the UnixFS content, not the encoded blocks)
 * @param blocks number of blocks in its DAG, root included
 * @param pinned whether garbage collection leaves it alone
 */
public record ObjectStat(Cid cid, long size, long blocks, boolean pinned) {
}
