package org.updraft.core.update;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.VerificationException;

/** The device payloads round-trip, and a device refuses every offer that is not provably on the ledger. */
class UpdatePayloadsTest {

    private final SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
    private final SigningKey log = SigningKey.generate(KeyAlgorithm.ED25519);
    private final SigningKey device = SigningKey.generate(KeyAlgorithm.P256);
    private final OfferVerifier verifier = new OfferVerifier(log.did(), did -> did.equals(vendor.did())
            ? Optional.of(new TrustedKey(did, "acme", Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0))
            : Optional.empty());
    private final Expectations thermostat = Expectations.none().deviceClass("thermo-v2").installedSequence(6);

    /** A ledger of a few events with the release at index 3, and an offer as the platform makes it. */
    private UpdateAnswer.Offer offer(SigningKey signer, SigningKey logKey) {
        byte[] image = new byte[5000];
        new Random(1).nextBytes(image);
        byte[] sha = ImageFacts.newDigest().digest(image);
        Manifest m = new Manifest("acme", "thermo-v2", null, "1.5.0", 7, image.length, sha, Cid.v0(sha), null,
                Instant.parse("2026-11-20T10:00:00Z"), signer.did());
        byte[] manifest = ManifestCodec.sign(m, signer);
        SignedManifest signed;
        try {
            signed = ManifestCodec.parse(manifest);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        LedgerEvent published = new LedgerEvent(EventTypes.RELEASE_PUBLISHED, Instant.parse("2026-11-21T00:00:00Z"),
                signer.did(), ReleaseEvents.published(signed), null);
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            LedgerEvent e = i == 3 ? published
                    : new LedgerEvent("test.filler", Instant.ofEpochSecond(i), "x", Cbor.encode(Map.of("i", (long) i)),
                            null);
            leaves.add(LedgerEventCodec.leafHash(e));
        }
        MemoryMerkleTree tree = MemoryMerkleTree.of(leaves);
        Checkpoint checkpoint = CheckpointCodec.sign("test-log", 6, tree.rootHash(), Instant.now(), logKey);
        InclusionProof proof = MerkleTree.inclusionProof(tree, 3, 6);
        Release release = new Release(m.releaseId(), "acme", "thermo-v2", null, "1.5.0", 7, image.length, sha,
                m.cid(), signer.did(), m.created(), published.time(), 3, manifest);
        return new UpdateAnswer.Offer("r-1", release, LedgerEventCodec.encode(published), proof, checkpoint,
                null, new byte[8]);
    }

    private DeviceAnswer.Offer decoded(UpdateAnswer.Offer offer) throws UpdateFormatException {
        return assertInstanceOf(DeviceAnswer.Offer.class, UpdateAnswers.decode(UpdateAnswers.encode(offer)));
    }

    @Test
    void aGenuineOfferVerifiesOnTheDevice() throws Exception {
        UpdateAnswer.Offer offer = offer(vendor, log);
        DeviceAnswer.Offer got = decoded(offer);
        assertEquals("r-1", got.rolloutId());
        assertEquals("acme/thermo-v2/7", got.releaseId());
        assertArrayEquals(offer.release().manifest(), got.manifest().bytes());
        assertEquals(7, verifier.verify(got, thermostat).manifest().sequence());
    }

    @Test
    void aValidlySignedManifestWithoutAValidInclusionProofIsRefused() throws Exception {
        UpdateAnswer.Offer good = offer(vendor, log);
        // a path hash altered: the event is not shown to be in the checkpoint
        List<byte[]> path = new ArrayList<>(good.proof().path());
        path.set(0, MerkleHash.leafHash(new byte[] {1}));
        UpdateAnswer.Offer badPath = new UpdateAnswer.Offer("r-1", good.release(), good.releaseEvent(),
                new InclusionProof(3, 6, path), good.checkpoint(), null, good.tag());
        assertEquals(Failure.BAD_PROOF, failure(badPath));
        // the proof of another index
        UpdateAnswer.Offer otherIndex = new UpdateAnswer.Offer("r-1", good.release(), good.releaseEvent(),
                new InclusionProof(2, 6, good.proof().path()), good.checkpoint(), null, good.tag());
        assertEquals(Failure.BAD_PROOF, failure(otherIndex));
        // a checkpoint signed by another log key (a platform that forged its own log)
        UpdateAnswer.Offer forged = offer(vendor, SigningKey.generate(KeyAlgorithm.ED25519));
        assertEquals(Failure.BAD_CHECKPOINT, failure(forged));
        // a proof for a tree of another size than the checkpoint's
        UpdateAnswer.Offer otherSize = new UpdateAnswer.Offer("r-1", good.release(), good.releaseEvent(),
                new InclusionProof(3, 5, good.proof().path()), good.checkpoint(), null, good.tag());
        assertEquals(Failure.BAD_PROOF, failure(otherSize));
    }

    @Test
    void theManifestIsStillCheckedAfterTheProof() throws Exception {
        assertEquals(Failure.UNTRUSTED_SIGNER, failure(offer(SigningKey.generate(KeyAlgorithm.ED25519), log)));
        DeviceAnswer.Offer got = decoded(offer(vendor, log));
        assertEquals(Failure.SEQUENCE_NOT_NEWER, assertThrows(VerificationException.class,
                () -> verifier.verify(got, thermostat.installedSequence(7))).failure());
        assertEquals(Failure.WRONG_CLASS, assertThrows(VerificationException.class,
                () -> verifier.verify(got, thermostat.deviceClass("other"))).failure());
    }

    private Failure failure(UpdateAnswer.Offer offer) throws UpdateFormatException {
        DeviceAnswer.Offer got = decoded(offer);
        return assertThrows(VerificationException.class, () -> verifier.verify(got, thermostat)).failure();
    }

    @Test
    void anOfferCarriesWhereItsReleaseIsOnChain_whenThePlatformKnows() throws Exception {
        UpdateAnswer.Offer plain = offer(vendor, log);
        ReleaseAnchor anchor = new ReleaseAnchor(4689, "0x" + "0a".repeat(20), "0x" + "7f".repeat(32), 31_000_123L,
                17);
        UpdateAnswer.Offer anchored = new UpdateAnswer.Offer(plain.rolloutId(), plain.release(), plain.releaseEvent(),
                plain.proof(), plain.checkpoint(), anchor, plain.tag());

        // without: no field at all, and the device sees none
        assertTrue(!CborMap.decode("offer", UpdateAnswers.encode(plain)).has("anchor"));
        assertNull(decoded(plain).anchor());

        // with: the wire form, and the same anchor back on the device
        byte[] bytes = UpdateAnswers.encode(anchored);
        CborMap wire = CborMap.decode("offer", bytes).map("anchor");
        assertEquals(4689, wire.unsigned("chain"));
        assertEquals("0x" + "0a".repeat(20), wire.text("contract"));
        assertEquals("0x" + "7f".repeat(32), wire.text("tx"));
        assertEquals(31_000_123L, wire.unsigned("block"));
        assertEquals(17, wire.unsigned("log-index"));
        DeviceAnswer.Offer got = decoded(anchored);
        assertEquals(anchor, got.anchor());
        // the anchor is part of the answer: another anchor, another tag; the offer verifies the same
        assertNotEquals(List.of(UpdateAnswers.tagOf(UpdateAnswers.encode(plain))), List.of(UpdateAnswers.tagOf(bytes)));
        assertEquals(7, verifier.verify(got, thermostat).manifest().sequence());
    }

    @Test
    void aMalformedAnchorIsRefusedNamingTheField() throws Exception {
        UpdateAnswer.Offer plain = offer(vendor, log);
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = new java.util.TreeMap<>((Map<Object, Object>) Cbor.decode(UpdateAnswers.encode(plain)));
        map.put("anchor", Map.of("chain", 1L, "contract", "0x" + "0a".repeat(20), "tx", "0xnothex", "block", 5L,
                "log-index", 0L));
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("transaction hash"));
        map.put("anchor", Map.of("chain", 1L, "contract", "0x" + "0a".repeat(20), "tx", "0x" + "7f".repeat(32),
                "block", 5L, "log-index", 0L, "extra", 1L));
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("unknown field"));
        map.put("anchor", Map.of("chain", 1L, "contract", "0x" + "0a".repeat(20), "tx", "0x" + "7f".repeat(32),
                "block", 5L));
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("log-index"));
    }

    @Test
    void anOfferCarriesItsDeltaAsAnOptionalField() throws Exception {
        UpdateAnswer.Offer plain = offer(vendor, log);
        byte[] baseSha = new byte[32];
        baseSha[0] = 9;
        Cid patch = Cid.v1(Cid.RAW, new byte[32]);
        Delta delta = new Delta("acme/thermo-v2/6", plain.release().id(), baseSha, plain.release().sha256(), "bsdiff",
                patch, 321, 1_500_000, 11);
        UpdateAnswer.Offer withDelta = new UpdateAnswer.Offer(plain.rolloutId(), plain.release(),
                plain.releaseEvent(), plain.proof(), plain.checkpoint(), null, plain.tag(), delta);

        assertTrue(!CborMap.decode("offer", UpdateAnswers.encode(plain)).has("delta"));
        assertNull(decoded(plain).delta());

        byte[] bytes = UpdateAnswers.encode(withDelta);
        CborMap wire = CborMap.decode("offer", bytes).map("delta");
        assertEquals("acme/thermo-v2/6", wire.text("from"));
        assertEquals("bsdiff", wire.text("codec"));
        assertEquals(patch.toString(), wire.text("patch"));
        assertEquals(321, wire.unsigned("size"));
        assertArrayEquals(baseSha, wire.bytes("base-sha256"));
        assertEquals(1_500_000, wire.unsigned("memory"));
        DeviceAnswer.OfferedDelta got = decoded(withDelta).delta();
        assertEquals("acme/thermo-v2/6", got.fromRelease());
        assertEquals(patch, got.patch());
        assertArrayEquals(baseSha, got.baseSha256());
        assertEquals(321, got.size());
        assertEquals(1_500_000, got.memory());
        // part of the answer: its own tag; the offer verifies the same
        assertNotEquals(List.of(UpdateAnswers.tagOf(UpdateAnswers.encode(plain))), List.of(UpdateAnswers.tagOf(bytes)));
        assertEquals(7, verifier.verify(decoded(withDelta), thermostat).manifest().sequence());
        // a delta that builds another release is refused where the offer is made
        assertThrows(IllegalArgumentException.class, () -> new UpdateAnswer.Offer("r-1", plain.release(),
                plain.releaseEvent(), plain.proof(), plain.checkpoint(), null, plain.tag(), new Delta(
                        "acme/thermo-v2/6", "acme/thermo-v2/8", baseSha, baseSha, "bsdiff", patch, 1, 1, 1)));
    }

    @Test
    void aMalformedDeltaIsRefusedNamingTheField() throws Exception {
        UpdateAnswer.Offer plain = offer(vendor, log);
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = new java.util.TreeMap<>((Map<Object, Object>) Cbor.decode(UpdateAnswers.encode(plain)));
        Map<Object, Object> delta = new java.util.TreeMap<>(Map.of("from", "acme/thermo-v2/6", "codec", "bsdiff",
                "patch", "Qmnotacid", "size", 1L, "base-sha256", new byte[32], "memory", 1L));
        map.put("delta", delta);
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("not a CID"));
        delta.put("patch", Cid.v1(Cid.RAW, new byte[32]).toString());
        delta.put("base-sha256", new byte[31]);
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("base-sha256"));
        delta.remove("base-sha256");
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(map))).contains("base-sha256"));
    }

    @Test
    void nothingNewRoundTrips() throws Exception {
        byte[] bytes = UpdateAnswers.encode(new UpdateAnswer.NoUpdate("outside-window", Duration.ofMinutes(5),
                new byte[8]));
        DeviceAnswer.None none = assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(bytes));
        assertEquals("outside-window", none.reason());
        assertEquals(Duration.ofMinutes(5), none.retryAfter());
        DeviceAnswer.None plain = assertInstanceOf(DeviceAnswer.None.class, UpdateAnswers.decode(
                UpdateAnswers.encode(new UpdateAnswer.NoUpdate("up-to-date", null, new byte[8]))));
        assertNull(plain.retryAfter());
        assertEquals(8, UpdateAnswers.tagOf(bytes).length);
        assertNotEquals(List.of(UpdateAnswers.tagOf(bytes)), List.of(UpdateAnswers.tagOf(new byte[] {1})));
    }

    @Test
    void malformedAnswersAreRefusedWithAReason() {
        assertTrue(message(() -> UpdateAnswers.decode(new byte[] {(byte) 0xff})).contains("CBOR"));
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(Map.of("status", "maybe"))))
                .contains("unknown status"));
        assertTrue(message(() -> UpdateAnswers.decode(Cbor.encode(Map.of("status", "none", "reason", "x",
                "extra", 1L)))).contains("unknown field"));
        assertTrue(message(() -> UpdateAnswers.decode(new byte[UpdateAnswers.MAX_ANSWER_BYTES + 1]))
                .contains("more than"));
    }

    @Test
    void reportsAreSignedByTheDeviceAndRefusedWhenTamperedWith() throws Exception {
        DeviceReport report = new DeviceReport("dev-0001", "r-1", "acme/thermo-v2/7", DeviceState.ROLLED_BACK,
                "watchdog reset in new image", "1.4.0", 6, Instant.parse("2026-11-22T10:00:00.700Z"), 12);
        byte[] signed = DeviceReports.sign(report, device);
        SignedReport parsed = DeviceReports.parse(signed);
        assertEquals(Instant.parse("2026-11-22T10:00:00Z"), parsed.report().time());
        assertEquals(report.counter(), parsed.report().counter());
        assertEquals(DeviceState.ROLLED_BACK, parsed.report().state());
        assertEquals(device.did(), parsed.signer());
        parsed.verify(device.did());
        assertTrue(assertThrows(UpdateFormatException.class,
                () -> parsed.verify(SigningKey.generate(KeyAlgorithm.P256).did())).getMessage()
                .contains("not by the device's key"));
        // the same report signed by someone else under the device's name
        SigningKey impostor = SigningKey.generate(KeyAlgorithm.ED25519);
        assertThrows(UpdateFormatException.class,
                () -> DeviceReports.parse(DeviceReports.sign(report, impostor)).verify(device.did()));
        // one flipped bit in the payload breaks the signature
        byte[] tampered = signed.clone();
        int at = indexOf(tampered, "watchdog".getBytes());
        tampered[at] ^= 0x01;
        assertTrue(assertThrows(UpdateFormatException.class, () -> DeviceReports.parse(tampered).verify(device.did()))
                .getMessage().contains("does not verify"));
        // a manifest is not a report
        assertThrows(UpdateFormatException.class, () -> DeviceReports.parse(offer(vendor, log).release().manifest()));
    }

    @Test
    void enrollmentsProvePossessionOfTheKey() throws Exception {
        Enrollment e = new Enrollment("dev-0002", device.did(), "acme", "thermo-v2", "cortex-m4", Set.of("beta"),
                "eu-west", "1.4.0", 6, Instant.now());
        Enrollment back = Enrollments.verify(Enrollments.sign(e, device));
        assertEquals(e, back);
        SigningKey other = SigningKey.generate(KeyAlgorithm.ED25519);
        Enrollment claimsOther = new Enrollment("dev-0003", other.did(), "acme", "thermo-v2", null, Set.of(), null,
                "1.0.0", 0, Instant.now());
        assertThrows(IllegalArgumentException.class, () -> Enrollments.sign(claimsOther, device));
        assertTrue(message(() -> Enrollments.verify(new byte[] {1, 2, 3})).length() > 0);
        assertThrows(IllegalArgumentException.class, () -> new Enrollment("bad id", device.did(), "acme", "c", null,
                Set.of(), null, "1.0.0", 0, Instant.now()));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer: for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private interface Call {
        void run() throws Exception;
    }

    private static String message(Call call) {
        return assertThrows(UpdateFormatException.class, call::run).getMessage();
    }
}
