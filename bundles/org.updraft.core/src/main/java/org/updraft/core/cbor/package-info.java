/**
 * Deterministic CBOR (RFC 8949 §4.2.1): the one encoding of manifests, checkpoints and ledger events, and a
 * strict decoder that refuses every other encoding of the same value.
 */
@Export
@Version("1.1.0")
package org.updraft.core.cbor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
