/**
 * Content-addressed firmware storage. A {@link org.updraft.api.store.FirmwareStore} turns bytes into a
 * {@link org.updraft.api.multiformats.Cid} that any IPFS node computes the same way, and serves them back by CID.
 */
@Export
@Version("1.1.0")
package org.updraft.api.store;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
