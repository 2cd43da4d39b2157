/**
 * UnixFS files as {@code ipfs add} builds them: fixed-size chunks, a balanced dag-pb tree of at most
 * {@value org.updraft.core.unixfs.UnixFsImporter#MAX_LINKS} links per node, CIDv0 or CIDv1, dag-pb or raw leaves.
 *
 * <p>{@link org.updraft.core.unixfs.UnixFsImporter} turns a byte stream into blocks and a root
 * {@link org.updraft.api.multiformats.Cid} equal to the one an IPFS node computes for the same bytes and
 * {@link org.updraft.api.store.CidOptions}. {@link org.updraft.core.unixfs.UnixFsNode} decodes one block, and
 * {@link org.updraft.core.unixfs.UnixFsReader} serves a byte range of a stored file, checking every block
 * against its CID before any of its bytes leave.
 */
@Export
@Version("1.0.0")
package org.updraft.core.unixfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
