package org.updraft.core.fuzz;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidEventException;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.ImageFacts;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.SignedManifest;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.update.AnswerStatement;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceAttestations;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.TrustedCheckpoint;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;

/**
 * A bounded fuzz run over everything a device or the platform decodes from the network or the ledger: CBOR, COSE,
 * manifests, reports, enrollments, checkpoints, ledger events and their payloads, and offers (with their inclusion
 * proofs and checkpoints) as a device checks them. Each input is a valid seed mutated a few times (bit flips, CBOR
 * heads and lengths set to edge values, truncation, insertion, deletion, duplication, splicing) or plain random
 * bytes. Every decoder declares only checked exceptions, so the rule is simple: an input either decodes or is refused
 * with the decoder's own exception; anything else (a RuntimeException, a StackOverflowError, running out of memory)
 * is a bug, reported with the input in hex and the seed that reproduces it.
 *
 * <p>Deterministic and a few seconds by default, for CI. A longer or different run:
 * {@code -Dupdraft.fuzz.iterations=200000 -Dupdraft.fuzz.seed=$RANDOM} (iterations per decoder).
 */
class DecoderFuzzTest {

    private static final long SEED = Long.getLong("updraft.fuzz.seed", 20261206L);
    private static final int ITERATIONS = Integer.getInteger("updraft.fuzz.iterations", 4000);

    /** What a decoder does with one input; only the exception types it is listed with may escape. */
    @FunctionalInterface
    private interface Decoder {
        void decode(byte[] input) throws Exception;
    }

    private record Target(String name, List<byte[]> seeds, Decoder decoder, List<Class<? extends Exception>> refusals) {
    }

    private final SigningKey vendor = SigningKey.generate(KeyAlgorithm.ED25519);
    private final SigningKey log = SigningKey.generate(KeyAlgorithm.ED25519);
    private final SigningKey device = SigningKey.generate(KeyAlgorithm.P256);
    private final Optional<TrustedKey> trusted = Optional.of(new TrustedKey(vendor.did(), "acme", Set.of(),
            KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0));
    private final Expectations thermostat = Expectations.none().vendor("acme").deviceClass("thermo-v2")
            .installedSequence(6);

    @TestFactory
    Stream<DynamicTest> everyDecoderRefusesMalformedInputWithItsOwnException() throws Exception {
        Fixture f = new Fixture();
        ManifestVerifier manifests = new ManifestVerifier(did -> did.equals(vendor.did()) ? trusted : Optional.empty());
        OfferVerifier offers = new OfferVerifier(log.did(), did -> did.equals(vendor.did()) ? trusted : Optional.empty());
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            leaves.add(LedgerEventCodec.leafHash(new LedgerEvent("test.filler", Instant.ofEpochSecond(i), "x",
                    Cbor.encode(Map.of("i", (long) i)), null)));
        }
        MemoryMerkleTree smallLog = MemoryMerkleTree.of(leaves);
        Checkpoint smallLogCheckpoint = CheckpointCodec.sign("fuzz-log", 9, smallLog.rootHash(), Instant.now(), log);
        List<Target> targets = List.of(
                new Target("cbor", f.all(), Cbor::decode, List.of(CborException.class)),
                new Target("cose", List.of(f.manifest, f.report, f.enrollment), in -> {
                    CoseSign1.decode(in, DeviceReports.CONTENT_TYPE).verify(device.verificationKey());
                }, List.of(CoseException.class)),
                new Target("manifest", List.of(f.manifest), in -> manifests.verify(in, thermostat),
                        List.of(VerificationException.class)),
                new Target("report", List.of(f.report), in -> DeviceReports.parse(in).verify(device.did()),
                        List.of(UpdateFormatException.class)),
                new Target("enrollment", List.of(f.enrollment), Enrollments::verify,
                        List.of(UpdateFormatException.class)),
                new Target("checkpoint", List.of(f.checkpoint), in -> CheckpointCodec.verify(in, log.did()),
                        List.of(InvalidCheckpointException.class)),
                new Target("ledger-event", List.of(f.event), LedgerEventCodec::decode,
                        List.of(InvalidEventException.class)),
                new Target("event-payloads", f.payloads(), in -> {
                    // every decoder on every payload: a payload of one type fed to another's decoder is input too
                    for (String type : List.of(EventTypes.KEY_REGISTERED, EventTypes.KEY_ROTATED,
                            EventTypes.KEY_REVOKED)) {
                        refusedAs(() -> TrustEvents.decode(type, in), CborException.class);
                    }
                    for (String type : List.of(EventTypes.ROLLOUT_CREATED, EventTypes.ROLLOUT_CHANGED,
                            EventTypes.ROLLOUT_OFFERED)) {
                        refusedAs(() -> RolloutEvents.decode(type, in), CborException.class);
                    }
                    ReleaseEvents.decodePublished(in);
                }, List.of(CborException.class)),
                new Target("consistency", List.of(UpdateAnswers.encodeConsistency(MerkleTree.consistencyProof(
                        smallLog, 3, 9))), in -> {
                    // a device that verified the log's first 3 events, shown a checkpoint of all 9
                    new TrustedCheckpoint(3, MerkleTree.rootHash(smallLog, 3)).extend(smallLogCheckpoint,
                            UpdateAnswers.decodeConsistency(in));
                }, List.of(UpdateFormatException.class, VerificationException.class)),
                new Target("attestation", List.of(DeviceAttestations.sign(new DeviceAttestations.Attestation(
                        device.did(), "acme", "thermo-v2", Instant.parse("2026-11-21T09:00:00Z")), vendor)),
                        in -> DeviceAttestations.check(in, new Enrollment("dev-1", device.did(), "acme", "thermo-v2",
                                null, Set.of(), "eu", "1.0.0", 1, Instant.now()),
                                did -> did.equals(vendor.did()) ? trusted : Optional.empty()),
                        List.of(UpdateFormatException.class)),
                new Target("statement", List.of(AnswerStatements.sign(new AnswerStatement("dev-1", "r-1",
                        "acme/thermo-v2/7", new byte[16], Instant.now(), Instant.now().plusSeconds(60)), log)),
                        in -> AnswerStatements.verify(in, log.verificationKey()), List.of(UpdateFormatException.class)),
                new Target("offer", List.of(f.offer, f.nothing), in -> {
                    if (UpdateAnswers.decode(in) instanceof DeviceAnswer.Offer offer) {
                        offers.verify(offer, thermostat);
                    }
                }, List.of(UpdateFormatException.class, VerificationException.class)));
        return targets.stream().map(t -> DynamicTest.dynamicTest(t.name(), () -> run(t)));
    }

    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    /** Runs {@code call}, letting through any exception but {@code refusal}. */
    private static void refusedAs(Call call, Class<? extends Exception> refusal) throws Exception {
        try {
            call.run();
        } catch (Exception e) {
            if (!refusal.isInstance(e)) {
                throw e;
            }
        }
    }

    private void run(Target t) {
        // one generator per decoder, so that adding a decoder does not change the inputs another one sees
        Random random = new Random(SEED ^ t.name().hashCode());
        List<byte[]> seeds = t.seeds();
        for (byte[] seed : seeds) {
            check(t, seed, -1); // the seeds themselves decode (or are refused) cleanly
        }
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = Mutator.next(random, seeds);
            check(t, input, i);
        }
    }

    private static void check(Target t, byte[] input, int iteration) {
        try {
            t.decoder().decode(input);
        } catch (Throwable e) {
            for (Class<? extends Exception> refusal : t.refusals()) {
                if (refusal.isInstance(e)) {
                    return;
                }
            }
            AssertionError failure = new AssertionError(t.name() + " decoder threw " + e + " instead of refusing input "
                    + (iteration < 0 ? "(a seed)" : "#" + iteration) + " of seed " + SEED + ", "
                    + input.length + " bytes: " + HexFormat.of().formatHex(input), e);
            fail(failure);
        }
    }

    /** One valid instance of each input, as the platform, a vendor and a device make them. */
    private final class Fixture {
        final byte[] manifest;
        final byte[] report;
        final byte[] enrollment;
        final byte[] checkpoint;
        final byte[] event;
        final byte[] offer;
        final byte[] nothing;
        final byte[] released;

        Fixture() throws Exception {
            byte[] image = new byte[3000];
            new Random(7).nextBytes(image);
            byte[] sha = ImageFacts.newDigest().digest(image);
            Manifest m = new Manifest("acme", "thermo-v2", null, "1.5.0", 7, image.length, sha, Cid.v0(sha), null,
                    Instant.parse("2026-11-20T10:00:00Z"), vendor.did());
            manifest = ManifestCodec.sign(m, vendor);
            SignedManifest signed = ManifestCodec.parse(manifest);
            report = DeviceReports.sign(new DeviceReport("dev-1", "r-1", m.releaseId(), DeviceState.INSTALLED, null,
                    "1.5.0", 7, Instant.parse("2026-11-21T10:00:00Z"), 3), device);
            enrollment = Enrollments.sign(new Enrollment("dev-1", device.did(), "acme", "thermo-v2", null,
                    Set.of("beta"), "eu", "1.0.0", 1, Instant.parse("2026-11-21T09:00:00Z")), device);
            released = ReleaseEvents.published(signed, "operator:alice");
            LedgerEvent published = new LedgerEvent(EventTypes.RELEASE_PUBLISHED,
                    Instant.parse("2026-11-21T00:00:00Z"), vendor.did(), released, null);
            event = LedgerEventCodec.encode(published);
            // a revocation at leaf 4, which the offer carries as its trust change
            LedgerEvent revoked = new LedgerEvent(EventTypes.KEY_REVOKED, Instant.parse("2026-11-21T01:00:00Z"),
                    log.did(), TrustEvents.revoked(device.did(), "leaked", "operator:alice"), null);
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                leaves.add(LedgerEventCodec.leafHash(i == 2 ? published : i == 4 ? revoked
                        : new LedgerEvent("test.filler", Instant.ofEpochSecond(i), "x",
                                Cbor.encode(Map.of("i", (long) i)), null)));
            }
            MemoryMerkleTree tree = MemoryMerkleTree.of(leaves);
            Checkpoint cp = CheckpointCodec.sign("fuzz-log", 5, tree.rootHash(), Instant.parse("2026-11-22T00:00:00Z"),
                    log);
            checkpoint = cp.envelope();
            InclusionProof proof = MerkleTree.inclusionProof(tree, 2, 5);
            Release release = new Release(m.releaseId(), "acme", "thermo-v2", null, "1.5.0", 7, image.length, sha,
                    m.cid(), vendor.did(), m.created(), published.time(), 2, manifest);
            offer = UpdateAnswers.encode(new UpdateAnswer.Offer("r-1", release, event, proof, cp, null, new byte[8],
                    null, List.of(new UpdateAnswer.TrustChange(LedgerEventCodec.encode(revoked),
                            MerkleTree.inclusionProof(tree, 4, 5)))));
            nothing = UpdateAnswers.encode(new UpdateAnswer.NoUpdate("up-to-date", java.time.Duration.ofSeconds(600), new byte[8]));
        }

        List<byte[]> payloads() {
            return List.of(released, TrustEvents.registered(vendor.did(), "acme", Set.of("thermo-v2"), "operator:alice"),
                    TrustEvents.rotationStatement(vendor.did(), log.did()), TrustEvents.revoked(vendor.did(), "lost", null),
                    RolloutEvents.changed(new RolloutEvents.Changed("r-1", RolloutState.PAUSED, 1, "errors", "op", 0)),
                    RolloutEvents.offered(new RolloutEvents.Offered("r-1", "dev-1", "acme-1.5.0", 0, null)));
        }

        List<byte[]> all() {
            List<byte[]> all = new ArrayList<>(List.of(manifest, report, enrollment, checkpoint, event, offer,
                    nothing));
            all.addAll(payloads());
            return all;
        }
    }
}
