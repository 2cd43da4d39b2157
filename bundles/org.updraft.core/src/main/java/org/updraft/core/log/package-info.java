/**
 * Transparency-log math and codecs shared by the ledger backends, the CLI and the device agent: the RFC 9162
 * Merkle tree hash, inclusion and consistency proofs (generation and verification), the leaf bytes of a
 * ledger event and the signed form of a checkpoint. There is exactly one definition of each here.
 */
@Export
@Version("1.2.0")
package org.updraft.core.log;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
