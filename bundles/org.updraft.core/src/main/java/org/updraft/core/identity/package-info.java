/**
 * did:key identities (Ed25519 and ECDSA P-256) and their key files: PKCS#8 PEM private keys, encrypted
 * with a passphrase when one is given, and SubjectPublicKeyInfo PEM public keys.
 */
@Export
@Version("1.2.0")
package org.updraft.core.identity;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
