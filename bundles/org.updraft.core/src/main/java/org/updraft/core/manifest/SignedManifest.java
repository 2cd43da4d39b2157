package org.updraft.core.manifest;

import org.updraft.core.cose.CoseSign1;

/**
 * A manifest as it travels: the COSE_Sign1 bytes, and what they say. Parsing checks the structure only;
 * {@link ManifestVerifier} decides whether to believe it.
 *
 * @param manifest the decoded manifest
 * @param envelope the parsed COSE_Sign1
 * @param bytes the exact bytes that were parsed
 */
public record SignedManifest(Manifest manifest, CoseSign1 envelope, byte[] bytes) {

    public SignedManifest {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }
}
