package org.updraft.core.manifest;

import java.security.MessageDigest;
import java.util.Map;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;

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

    /**
     * Checks size and SHA-256, then that the image's CID is the manifest's: otherwise it would be stored under
     * another name and devices fetching the manifest's CID would get nothing.
     *
     * @param image measured with {@link MeasuredImage#cidOptionsFor} this manifest's CID
     * @return the options that reproduce the manifest's CID, to store the image with
     * @throws VerificationException {@link Failure#SIZE_MISMATCH}, {@link Failure#DIGEST_MISMATCH} or
     *         {@link Failure#CID_MISMATCH}
     */
    public CidOptions checkImage(MeasuredImage image) throws VerificationException {
        checkImage(image.facts());
        Manifest m = manifest();
        for (Map.Entry<CidOptions, Cid> e : image.cids().entrySet()) {
            if (e.getValue().equals(m.cid())) {
                return e.getKey();
            }
        }
        StringBuilder computed = new StringBuilder();
        image.cids().forEach((options, cid) -> computed.append(computed.length() == 0 ? "" : " or ").append(cid)
                .append(options.cidVersion() == 0 ? "" : options.rawLeaves() ? " (raw leaves)" : " (dag-pb leaves)"));
        throw new VerificationException(Failure.CID_MISMATCH, "the firmware's CID is " + computed
                + ", but the manifest names " + m.cid() + ": the manifest does not point at this image"
                + " (images are addressed with 256 KiB chunks, as ipfs add does by default)");
    }
}
