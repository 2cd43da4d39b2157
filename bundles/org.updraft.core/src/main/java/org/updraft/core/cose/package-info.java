/**
 * COSE_Sign1 (RFC 9052 §4.2) signatures with EdDSA (Ed25519) and ES256 (ECDSA P-256), the envelope of
 * manifests and log checkpoints. Private to the library: other bundles sign and verify through the manifest,
 * log and update packages.
 */
package org.updraft.core.cose;
