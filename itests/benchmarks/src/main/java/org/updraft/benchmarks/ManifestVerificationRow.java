package org.updraft.benchmarks;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborTag;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestVerifier;

/**
 * Row 7: ManifestVerifier on one signed manifest (parse, did:key, Ed25519, trust, target checks) against BouncyCastle's
 * Ed25519 verify of the same COSE Sig_structure bytes under the same key, on one thread.
 */
final class ManifestVerificationRow {

    private ManifestVerificationRow() {
    }

    static Row run(boolean quick) throws Exception {
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        byte[] image = new byte[128 * 1024];
        new java.util.Random(7).nextBytes(image);
        ImageFacts facts = new ImageFacts(image.length, ImageFacts.newDigest().digest(image));
        Manifest manifest = new Manifest("acme", "thermo-v2", "cortex-m4", "1.4.0", 7, facts.size(), facts.sha256(),
                Cid.v0(facts.sha256()), "1.2.0", Instant.parse("2026-11-01T10:00:00Z"), key.did());
        byte[] signed = ManifestCodec.sign(manifest, key);
        TrustedKey trusted = new TrustedKey(key.did(), "acme", Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0);
        ManifestVerifier verifier = new ManifestVerifier(did -> did.equals(trusted.did()) ? Optional.of(trusted)
                : Optional.empty());
        // what a device checks against before installing
        Expectations device = Expectations.none().deviceClass("thermo-v2").profile("cortex-m4").installedSequence(6)
                .installedVersion("1.3.9");

        // The reference verifies exactly the bytes Updraft's signature covers: COSE's Sig_structure.
        List<?> parts = (List<?>) ((CborTag) Cbor.decode(signed)).value();
        byte[] toBeSigned = Cbor.encode(List.of("Signature1", parts.get(0), new byte[0], parts.get(2)));
        byte[] signature = (byte[]) parts.get(3);
        Ed25519PublicKeyParameters publicKey = new Ed25519PublicKeyParameters(key.verificationKey().publicKey(), 0);
        if (!rawVerify(publicKey, toBeSigned, signature)) {
            throw new IllegalStateException("row 7: the raw Ed25519 reference does not verify the manifest's signature");
        }
        verifier.verify(signed, device);

        double seconds = quick ? 0.2 : 2;
        int rounds = quick ? 1 : 5;
        double[] rates = Rates.interleaved(() -> {
            verifier.verify(signed, device);
            return 1;
        }, () -> {
            if (!rawVerify(publicKey, toBeSigned, signature)) {
                throw new IllegalStateException("raw verify failed");
            }
            return 1;
        }, rounds, seconds);
        return new Row("7", "manifest verification, 1 thread (" + signed.length + "-byte signed manifest)", rates[0],
                "verifies/s", "BouncyCastle Ed25519 verify, same key and bytes", rates[1], "verifies/s", 0.9, "≥ 0.9",
                false, "JFR: 92% of a verify is BouncyCastle's Ed25519 verify itself; the rest is parsing the manifest's"
                + " CBOR (6%, of which the image CID's base58 decode 2.6%) and the target checks. The signer's did:key is"
                + " decoded once and kept (it was 10% of a verify)");
    }

    private static boolean rawVerify(Ed25519PublicKeyParameters key, byte[] data, byte[] signature) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(false, key);
        signer.update(data, 0, data.length);
        return signer.verifySignature(signature);
    }
}
