package org.updraft.core.unixfs;

import org.updraft.api.multiformats.Cid;

/**
 * What {@link UnixFsImporter} built.
 *
 * @param cid the root CID, as {@code ipfs add} prints it for the same bytes and options
 * @param size file size in bytes
 * @param blocks blocks emitted, root included (a chunk that occurs twice counts twice)
 */
public record ImportedFile(Cid cid, long size, long blocks) {
}
