package org.updraft.core.manifest;

import java.security.MessageDigest;

import org.updraft.api.trust.TrustedKey;

/**
 * A manifest whose signature, signer and target checks passed. The image is checked separately, once its
 * bytes are at hand: a device verifies the manifest before it downloads anything.
 *
 * @param signed the manifest as received
 * @param signer the signer's trust record at the time of verification
 */
public record VerifiedManifest(SignedManifest signed, TrustedKey signer) {

    public Manifest manifest() {
        return signed.manifest();
    }

    /**
     * Checks image bytes against the manifest: size first (cheap, and names truncation), then SHA-256.
     *
     * @throws VerificationException {@link Failure#SIZE_MISMATCH} or {@link Failure#DIGEST_MISMATCH}
     */
    public void checkImage(ImageFacts image) throws VerificationException {
        Manifest m = manifest();
        if (image.size() != m.size()) {
            throw new VerificationException(Failure.SIZE_MISMATCH, "the firmware has " + image.size()
                    + " bytes but the manifest says " + m.size());
        }
        if (!MessageDigest.isEqual(image.sha256(), m.sha256())) {
            throw new VerificationException(Failure.DIGEST_MISMATCH,
                    "the firmware's SHA-256 does not match the manifest: the image was altered or is not the one signed");
        }
    }
}
