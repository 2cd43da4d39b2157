package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.UpdateAnswers;

/**
 * Trust changes reach devices (issue 15): an offer carries the rotations from the vendor's first keys to the release's
 * signer and the vendor's revocations, each proven in the offer's checkpoint, and a device provisioned with an older
 * key follows a rotation its old key signed, and keeps a revocation.
 */
class TrustChangesInOffersTest {

    @TempDir
    Path dir;

    private Platform p;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
        p.registry.registerAll(List.of(p.device("d1", "eu", null), p.device("d2", "eu", null)));
    }

    @AfterEach
    void close() {
        p.close();
    }

    private Rollout running(Release release) throws Exception {
        WaveSpec all = new WaveSpec("all", WaveSelector.parse("percent:100"), 100, 100, false, null, 0);
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(all)), "alice");
        return p.rollouts.start(r.id(), "alice");
    }

    /** What a device provisioned with these keys of the vendor trusts at the factory. */
    private static TrustLookup provisioned(SigningKey... keys) {
        Map<String, TrustedKey> known = new java.util.HashMap<>();
        for (SigningKey k : keys) {
            known.put(k.did(), new TrustedKey(k.did(), Platform.VENDOR, Set.of(), KeyStatus.ACTIVE, Instant.EPOCH,
                    null, null, 0));
        }
        return did -> Optional.ofNullable(known.get(did));
    }

    private OfferVerifier device(SigningKey... keys) {
        return new OfferVerifier(p.ledger.logKey(), provisioned(keys));
    }

    private static Expectations runningSequence(long sequence) {
        return Expectations.none().vendor(Platform.VENDOR).deviceClass(Platform.CLASS).installedSequence(sequence);
    }

    /** The offer as the device decodes it from the wire. */
    private static DeviceAnswer.Offer onTheWire(UpdateAnswer answer) throws Exception {
        return (DeviceAnswer.Offer) UpdateAnswers.decode(UpdateAnswers.encode(assertInstanceOf(
                UpdateAnswer.Offer.class, answer)));
    }

    private static DeviceAnswer.Offer without(DeviceAnswer.Offer o, List<DeviceAnswer.TrustChange> changes) {
        return new DeviceAnswer.Offer(o.rolloutId(), o.releaseId(), o.eventBytes(), o.event(), o.manifest(), o.proof(),
                o.checkpoint(), o.anchor(), o.delta(), changes);
    }

    private void rotate(SigningKey from, SigningKey to, boolean signedByOldKey) throws Exception {
        byte[] proof = signedByOldKey ? from.sign(TrustEvents.rotationStatement(from.did(), to.did())) : null;
        p.trust.rotate(from.did(), to.did(), proof, "alice");
    }

    @Test
    void aDeviceProvisionedWithTheOldKeyFollowsTheRotationsItsKeysSigned() throws Exception {
        SigningKey k1 = p.vendorKey;
        SigningKey k2 = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey k3 = SigningKey.generate(KeyAlgorithm.P256);
        rotate(k1, k2, true);
        rotate(k2, k3, true);
        Release release = p.publish(Platform.CLASS, null, 2, k3);
        running(release);

        DeviceAnswer.Offer offer = onTheWire(p.updates.check("d1", 1));
        assertEquals(2, offer.trustChanges().size(), "both rotations, oldest first");
        OfferVerifier.VerifiedOffer verified = device(k1).verifyOffer(offer, runningSequence(1));
        assertEquals(k3.did(), verified.manifest().manifest().signer());
        assertEquals(KeyStatus.ROTATED, verified.trust().find(k1.did()).orElseThrow().status());
        assertEquals(KeyStatus.ROTATED, verified.trust().find(k2.did()).orElseThrow().status());
        assertEquals(KeyStatus.ACTIVE, verified.trust().find(k3.did()).orElseThrow().status());
        // the same offer without the chain: the device knows k1 only
        VerificationException bare = assertThrows(VerificationException.class,
                () -> device(k1).verifyOffer(without(offer, List.of()), runningSequence(1)));
        assertEquals(Failure.UNTRUSTED_SIGNER, bare.failure());
        // a device that already trusts k2 (provisioned later) needs only the second rotation, and takes both
        assertEquals(k3.did(), device(k2).verifyOffer(offer, runningSequence(1)).manifest().manifest().signer());
    }

    @Test
    void aRotationOnlyThePlatformVouchedForIsNotFollowed() throws Exception {
        SigningKey k2 = SigningKey.generate(KeyAlgorithm.ED25519);
        rotate(p.vendorKey, k2, false);
        Release release = p.publish(Platform.CLASS, null, 2, k2);
        running(release);

        DeviceAnswer.Offer offer = onTheWire(p.updates.check("d1", 1));
        assertEquals(1, offer.trustChanges().size(), "the platform offers what its trust store accepted");
        VerificationException e = assertThrows(VerificationException.class,
                () -> device(p.vendorKey).verifyOffer(offer, runningSequence(1)));
        assertEquals(Failure.UNTRUSTED_SIGNER, e.failure(), "a key the platform chose is not the manufacturer's");
    }

    @Test
    void aTrustChangeNotInTheCheckpointIsRefused() throws Exception {
        SigningKey k2 = SigningKey.generate(KeyAlgorithm.ED25519);
        SigningKey forged = SigningKey.generate(KeyAlgorithm.ED25519);
        rotate(p.vendorKey, k2, true);
        running(p.publish(Platform.CLASS, null, 2, k2));
        DeviceAnswer.Offer offer = onTheWire(p.updates.check("d1", 1));
        DeviceAnswer.TrustChange real = offer.trustChanges().get(0);

        // another rotation, signed by the old key (as a thief of it could), put in the place of the recorded one
        LedgerEvent swapped = new LedgerEvent(EventTypes.KEY_ROTATED, real.event().time(), p.vendorKey.did(),
                TrustEvents.rotationStatement(p.vendorKey.did(), forged.did()),
                p.vendorKey.sign(TrustEvents.rotationStatement(p.vendorKey.did(), forged.did())));
        DeviceAnswer.TrustChange unrecorded = new DeviceAnswer.TrustChange(LedgerEventCodec.encode(swapped), swapped,
                TrustEvents.decode(swapped.type(), swapped.payload()), real.proof());
        VerificationException e = assertThrows(VerificationException.class,
                () -> device(p.vendorKey).verifyOffer(without(offer, List.of(unrecorded)), runningSequence(1)));
        assertEquals(Failure.BAD_PROOF, e.failure());
    }

    @Test
    void aRevocationReachesTheDeviceAndRefusesAReplayedOfferFromTheRevokedKey() throws Exception {
        SigningKey old = SigningKey.generate(KeyAlgorithm.ED25519);
        p.trust.register(old.did(), Platform.VENDOR, Set.of(), "alice");
        // an offer of a release by the old key, captured on the way to a device
        Rollout first = running(p.publish(Platform.CLASS, null, 5, old));
        DeviceAnswer.Offer captured = onTheWire(p.updates.check("d1", 1));
        p.rollouts.cancel(first.id(), "alice", "bricks devices");
        Release current = p.publish(Platform.CLASS, null, 2, p.vendorKey);
        running(current);
        byte[] before = p.updates.check("d2", 1).tag();

        // revoked after the release the device is offered: the offer's checkpoint covers the revocation too
        p.trust.revoke(old.did(), "leaked", "alice");
        UpdateAnswer after = p.updates.check("d2", 1);
        assertFalse(Arrays.equals(before, after.tag()), "a trust change makes the offer anew");
        DeviceAnswer.Offer offer = onTheWire(after);
        assertEquals(List.of(EventTypes.KEY_REVOKED), offer.trustChanges().stream().map(c -> c.event().type())
                .toList());
        OfferVerifier device = device(p.vendorKey, old);
        OfferVerifier.VerifiedOffer verified = device.verifyOffer(offer, runningSequence(1));
        assertEquals(KeyStatus.REVOKED, verified.trust().find(old.did()).orElseThrow().status());

        // the captured offer still verifies for a device that never heard of the revocation…
        assertEquals(5, device.verifyOffer(captured, runningSequence(1)).manifest().manifest().sequence());
        // …and is refused by the one that kept it
        VerificationException e = assertThrows(VerificationException.class,
                () -> device.verifyOffer(captured, runningSequence(1), verified.trust()));
        assertEquals(Failure.REVOKED_SIGNER, e.failure());
    }
}
