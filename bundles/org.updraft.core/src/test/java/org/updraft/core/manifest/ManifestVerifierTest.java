package org.updraft.core.manifest;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

class ManifestVerifierTest {

    private final Map<String, TrustedKey> trusted = new HashMap<>();
    private final ManifestVerifier verifier = new ManifestVerifier(did -> Optional.ofNullable(trusted.get(did)));

    private static byte[] image(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static Manifest manifest(SigningKey key, byte[] image, long sequence) {
        ImageFacts facts = facts(image);
        return new Manifest("acme", "thermo-v2", "cortex-m4", "1.4.0", sequence, facts.size(), facts.sha256(),
                Cid.v0(facts.sha256()), "1.2.0", Instant.parse("2026-11-01T10:00:00Z"), key.did());
    }

    private static ImageFacts facts(byte[] image) {
        return new ImageFacts(image.length, ImageFacts.newDigest().digest(image));
    }

    private void trust(SigningKey key, KeyStatus status, Set<String> classes) {
        trusted.put(key.did(), new TrustedKey(key.did(), "acme", classes, status, Instant.EPOCH,
                status == KeyStatus.ROTATED ? "did:key:successor" : null,
                status == KeyStatus.REVOKED ? "key leaked" : null, 0));
    }

    private Failure failureOf(byte[] signed, Expectations expect, byte[] image) {
        return assertThrows(VerificationException.class, () -> verifier.verify(signed, expect, facts(image)))
                .failure();
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aGenuineReleaseVerifies(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);
        trust(key, KeyStatus.ACTIVE, Set.of());
        byte[] image = image(1000);
        Manifest m = manifest(key, image, 7);
        byte[] signed = ManifestCodec.sign(m, key);
        VerifiedManifest verified = verifier.verify(signed, Expectations.none().deviceClass("thermo-v2")
                .profile("cortex-m4").installedSequence(6).installedVersion("1.3.9"), facts(image));
        assertEquals(m, verified.manifest());
        assertEquals("acme/thermo-v2/7", verified.manifest().releaseId());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void eachFaultIsRejectedWithItsOwnFailure(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        byte[] image = image(4096);
        byte[] signed = ManifestCodec.sign(manifest(key, image, 7), key);
        Expectations device = Expectations.none().deviceClass("thermo-v2").installedSequence(6);

        assertEquals(Failure.UNTRUSTED_SIGNER, failureOf(signed, device, image));
        trust(key, KeyStatus.ACTIVE, Set.of());

        byte[] tampered = image.clone();
        tampered[2000] ^= 1;
        assertEquals(Failure.DIGEST_MISMATCH, failureOf(signed, device, tampered));
        assertEquals(Failure.SIZE_MISMATCH, failureOf(signed, device, image(4095)));
        assertEquals(Failure.WRONG_CLASS, failureOf(signed, device.deviceClass("doorbell"), image));
        assertEquals(Failure.WRONG_VENDOR, failureOf(signed, device.vendor("globex"), image));
        assertEquals("acme/thermo-v2/7", assertDoesNotThrow(() -> verifier.verify(signed, device.vendor("acme"),
                facts(image))).manifest().releaseId());
        assertEquals(Failure.WRONG_PROFILE, failureOf(signed, device.profile("avr8"), image));
        assertEquals(Failure.SEQUENCE_NOT_NEWER, failureOf(signed, device.installedSequence(7), image));
        assertEquals(Failure.SEQUENCE_NOT_NEWER, failureOf(signed, device.installedSequence(9), image));
        assertEquals(Failure.INSTALLED_VERSION_TOO_OLD, failureOf(signed, device.installedVersion("1.1.9"), image));

        trust(key, KeyStatus.ACTIVE, Set.of("doorbell"));
        assertEquals(Failure.CLASS_NOT_AUTHORIZED, failureOf(signed, device, image));
        trust(key, KeyStatus.ROTATED, Set.of());
        assertEquals(Failure.ROTATED_SIGNER, failureOf(signed, Expectations.forPublishing(), image));
        trust(key, KeyStatus.REVOKED, Set.of());
        VerificationException revoked = assertThrows(VerificationException.class,
                () -> verifier.verify(signed, device, facts(image)));
        assertEquals(Failure.REVOKED_SIGNER, revoked.failure());
        assertTrue(revoked.getMessage().contains("key leaked"), revoked.getMessage());

        trusted.put(key.did(), new TrustedKey(key.did(), "globex", Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null,
                null, 0));
        assertEquals(Failure.WRONG_VENDOR, failureOf(signed, device, image));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aDeviceStillAcceptsWhatARotatedKeySigned(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);
        trust(key, KeyStatus.ROTATED, Set.of());
        byte[] image = image(10);
        verifier.verify(ManifestCodec.sign(manifest(key, image, 1), key), Expectations.none(), facts(image));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void aManifestSignedByAnotherKeyThanItNamesIsRefused(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        SigningKey impostor = SigningKey.generate(algorithm);
        trust(key, KeyStatus.ACTIVE, Set.of());
        byte[] image = image(10);
        assertThrows(IllegalArgumentException.class, () -> ManifestCodec.sign(manifest(key, image, 1), impostor));
        // forge: the impostor's COSE envelope around a payload naming the trusted key
        byte[] forged = org.updraft.core.cose.CoseSign1.sign(ManifestCodec.encodePayload(manifest(key, image, 1)),
                ManifestCodec.CONTENT_TYPE, impostor);
        assertEquals(Failure.MALFORMED, failureOf(forged, Expectations.none(), image));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void anyFlippedByteOfTheManifestIsRejected(KeyAlgorithm algorithm) {
        SigningKey key = SigningKey.generate(algorithm);
        trust(key, KeyStatus.ACTIVE, Set.of());
        byte[] image = image(10);
        byte[] signed = ManifestCodec.sign(manifest(key, image, 1), key);
        for (int i = 0; i < signed.length; i++) {
            byte[] tampered = signed.clone();
            tampered[i] ^= 0x40;
            Failure f = failureOf(tampered, Expectations.none(), image);
            assertTrue(f == Failure.MALFORMED || f == Failure.BAD_SIGNATURE || f == Failure.UNTRUSTED_SIGNER,
                    "byte " + i + ": " + f);
        }
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void malformedInputIsNamed(KeyAlgorithm algorithm) {
        assertEquals(Failure.MALFORMED, failureOf(new byte[0], Expectations.none(), new byte[0]));
        assertEquals(Failure.MALFORMED, failureOf("not cbor at all".getBytes(), Expectations.none(), new byte[0]));
        assertEquals(Failure.MALFORMED, failureOf(new byte[ManifestCodec.MAX_MANIFEST_BYTES + 1], Expectations.none(),
                new byte[0]));
        SigningKey key = SigningKey.generate(algorithm);
        byte[] checkpointLike = org.updraft.core.cose.CoseSign1.sign(new byte[] {(byte) 0xa0},
                "application/vnd.updraft.checkpoint+cbor", key);
        VerificationException e = assertThrows(VerificationException.class,
                () -> verifier.verify(checkpointLike, Expectations.none()));
        assertTrue(e.getMessage().contains("content type"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void theManifestRoundTripsThroughItsBytes(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = SigningKey.generate(algorithm);
        Manifest m = manifest(key, image(77), 3);
        SignedManifest parsed = ManifestCodec.parse(ManifestCodec.sign(m, key));
        assertEquals(m, parsed.manifest());
        assertEquals(key.did(), parsed.envelope().kid());
        Manifest minimal = new Manifest("acme", "c", null, "0.0.1", 0, 0, new byte[32], Cid.v0(new byte[32]), null,
                Instant.ofEpochSecond(0), key.did());
        assertEquals(minimal, ManifestCodec.parse(ManifestCodec.sign(minimal, key)).manifest());
    }
}
