package org.updraft.core.manifest;

import java.util.Objects;
import java.util.Optional;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The one definition of a valid release, used by the platform before it publishes, by the offline CLI and
 * by devices before they install. In this order, each failure its own {@link Failure}:
 * <ol>
 * <li>the bytes are a well-formed signed manifest;</li>
 * <li>the signature verifies under the signer's did:key;</li>
 * <li>the signer is known, not revoked (and, when publishing, not rotated);</li>
 * <li>the signer is trusted for the manifest's vendor and device class;</li>
 * <li>the device class and profile are the target's;</li>
 * <li>the sequence number is strictly greater than the installed one, and the installed version meets the
 * manifest's minimum;</li>
 * <li>then, with {@link VerifiedManifest#checkImage}, size and SHA-256 of the image.</li>
 * </ol>
 * Thread-safe; the trust lookup is consulted on every call, so a revocation takes effect at once.
 */
public final class ManifestVerifier {

    private final TrustLookup trust;

    public ManifestVerifier(TrustLookup trust) {
        this.trust = Objects.requireNonNull(trust, "trust");
    }

    /** Verifies the manifest and then the image: everything a device checks before installing. */
    public VerifiedManifest verify(byte[] signedManifest, Expectations expectations, ImageFacts image)
            throws VerificationException {
        VerifiedManifest verified = verify(signedManifest, expectations);
        verified.checkImage(image);
        return verified;
    }

    /** Verifies everything but the image. */
    public VerifiedManifest verify(byte[] signedManifest, Expectations expectations) throws VerificationException {
        SignedManifest signed;
        try {
            signed = ManifestCodec.parse(signedManifest);
        } catch (ManifestFormatException e) {
            throw new VerificationException(Failure.MALFORMED, e.getMessage());
        }
        return verify(signed, expectations);
    }

    /** Verifies an already parsed manifest (everything but the image). */
    public VerifiedManifest verify(SignedManifest signed, Expectations expectations) throws VerificationException {
        Manifest m = signed.manifest();
        VerificationKey key;
        try {
            key = VerificationKey.fromDid(m.signer());
        } catch (IllegalArgumentException e) {
            throw new VerificationException(Failure.MALFORMED, "the manifest's signer is not a usable key: "
                    + e.getMessage());
        }
        if (!signed.envelope().verify(key)) {
            throw new VerificationException(Failure.BAD_SIGNATURE, "the manifest's signature does not verify under "
                    + m.signer() + ": it was altered after signing or signed by another key");
        }
        TrustedKey signer = checkSigner(m, expectations);
        checkTarget(m, expectations);
        return new VerifiedManifest(signed, signer);
    }

    private TrustedKey checkSigner(Manifest m, Expectations expect) throws VerificationException {
        Optional<TrustedKey> found;
        try {
            found = trust.find(m.signer());
        } catch (TrustException e) {
            throw new VerificationException(Failure.TRUST_UNAVAILABLE, "cannot check the signer " + m.signer()
                    + ": " + e.getMessage());
        }
        if (found.isEmpty()) {
            throw new VerificationException(Failure.UNTRUSTED_SIGNER, "the signer " + m.signer()
                    + " is not a trusted manufacturer key");
        }
        TrustedKey signer = found.get();
        if (signer.status() == KeyStatus.REVOKED) {
            throw new VerificationException(Failure.REVOKED_SIGNER, "the signer " + m.signer() + " was revoked"
                    + (signer.changed() != null ? " on " + signer.changed() : "")
                    + (signer.reason() != null && !signer.reason().isBlank() ? " (" + signer.reason() + ")" : "")
                    + ": nothing it signed is trusted");
        }
        if (signer.status() == KeyStatus.ROTATED && expect.publishing()) {
            throw new VerificationException(Failure.ROTATED_SIGNER, "the signer " + m.signer()
                    + " was rotated to " + signer.successor() + ": sign new releases with the new key");
        }
        if (!signer.vendor().equals(m.vendor())) {
            throw new VerificationException(Failure.WRONG_VENDOR, "the signer is trusted for vendor '"
                    + signer.vendor() + "', not for '" + m.vendor() + "'");
        }
        if (!signer.covers(m.deviceClass())) {
            throw new VerificationException(Failure.CLASS_NOT_AUTHORIZED, "the signer may sign for device classes "
                    + String.join(", ", signer.deviceClasses().stream().sorted().toList()) + ", not for '"
                    + m.deviceClass() + "'");
        }
        return signer;
    }

    private static void checkTarget(Manifest m, Expectations expect) throws VerificationException {
        if (expect.vendor() != null && !expect.vendor().equals(m.vendor())) {
            throw new VerificationException(Failure.WRONG_VENDOR, "the release is from vendor '" + m.vendor()
                    + "', not from the device's vendor '" + expect.vendor() + "'");
        }
        if (expect.deviceClass() != null && !expect.deviceClass().equals(m.deviceClass())) {
            throw new VerificationException(Failure.WRONG_CLASS, "the release is for device class '"
                    + m.deviceClass() + "', not '" + expect.deviceClass() + "'");
        }
        if (expect.profile() != null && m.profile() != null && !expect.profile().equals(m.profile())) {
            throw new VerificationException(Failure.WRONG_PROFILE, "the release is for device profile '"
                    + m.profile() + "', not '" + expect.profile() + "'");
        }
        if (expect.installedSequence() >= 0 && m.sequence() <= expect.installedSequence()) {
            throw new VerificationException(Failure.SEQUENCE_NOT_NEWER, "sequence number " + m.sequence()
                    + " is not greater than " + expect.installedSequence()
                    + (expect.publishing() ? ", the latest published for this device class" : ", the installed one")
                    + ": refusing a rollback");
        }
        if (expect.installedVersion() != null && m.minimumInstalledVersion() != null) {
            SemanticVersion installed;
            try {
                installed = SemanticVersion.parse(expect.installedVersion());
            } catch (IllegalArgumentException e) {
                throw new VerificationException(Failure.INSTALLED_VERSION_TOO_OLD, "the installed version '"
                        + expect.installedVersion() + "' is not a semantic version, and the release requires at least "
                        + m.minimumInstalledVersion());
            }
            if (installed.compareTo(SemanticVersion.parse(m.minimumInstalledVersion())) < 0) {
                throw new VerificationException(Failure.INSTALLED_VERSION_TOO_OLD, "the release requires version "
                        + m.minimumInstalledVersion() + " or later installed, the device runs " + installed);
            }
        }
    }
}
