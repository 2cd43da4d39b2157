/**
 * COSE_Sign1 (RFC 9052 §4.2) signatures with EdDSA (Ed25519) and ES256 (ECDSA P-256), the envelope of
 * manifests and log checkpoints.
 */
@Export
@Version("1.0.0")
package org.updraft.core.cose;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
