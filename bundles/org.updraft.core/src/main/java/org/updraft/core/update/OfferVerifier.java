package org.updraft.core.update;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.trust.TrustException;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.InvalidCheckpointException;
import org.updraft.core.log.InvalidProofException;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.ManifestVerifier;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;

/**
 * What a device checks before it downloads or installs an offered release, with nothing but the log key and
 * the manufacturer keys it was provisioned with:
 * <ol>
 * <li>the checkpoint is signed by the log key ({@link Failure#BAD_CHECKPOINT});</li>
 * <li>the offered event's leaf hash, on the inclusion path, gives the checkpoint's root: the release was
 * recorded on the ledger and cannot be hidden from it ({@link Failure#BAD_PROOF});</li>
 * <li>so does each trust change the offer carries ({@link Failure#BAD_PROOF}); they move the device's trust on, in
 * ledger order ({@link TrustHistory}): a rotation only when the key it replaces signed it (the platform cannot hand
 * a device a key of its own choosing), a revocation always (it can only take trust away);</li>
 * <li>the manifest inside the event passes {@link ManifestVerifier} for this device under that trust (signature,
 * signer, vendor, class, profile, sequence).</li>
 * </ol>
 * The image itself is checked after the download with {@link VerifiedManifest#checkImage}. Thread-safe.
 */
public final class OfferVerifier {

    private final VerificationKey logKey;
    private final TrustLookup provisioned;

    /**
     * @param logKeyDid the did:key of the platform's transparency log, provisioned into the device
     * @param trust the manufacturer keys the device was provisioned with
     */
    public OfferVerifier(String logKeyDid, TrustLookup trust) {
        this.logKey = VerificationKey.fromDid(Objects.requireNonNull(logKeyDid, "logKeyDid"));
        this.provisioned = Objects.requireNonNull(trust, "trust");
    }

    /**
     * An offer that passed every check: its manifest, the checkpoint it was proven against, and the device's trust
     * after the offer's trust changes (for the device to keep once it accepts the checkpoint).
     */
    public record VerifiedOffer(VerifiedManifest manifest, Checkpoint checkpoint, TrustHistory trust) {
    }

    /**
     * @throws VerificationException with the first check that failed
     */
    public VerifiedManifest verify(DeviceAnswer.Offer offer, Expectations expectations) throws VerificationException {
        return verifyOffer(offer, expectations).manifest();
    }

    /**
     * As {@link #verify} for a device that knows only its provisioned keys, and gives the verified checkpoint too: a
     * device checks it against the one it verified before ({@link TrustedCheckpoint}).
     *
     * @throws VerificationException with the first check that failed
     */
    public VerifiedOffer verifyOffer(DeviceAnswer.Offer offer, Expectations expectations)
            throws VerificationException {
        return verifyOffer(offer, expectations, null);
    }

    /**
     * As {@link #verifyOffer(DeviceAnswer.Offer, Expectations)} for a device whose trust already moved on.
     *
     * @param known the device's trust so far, or {@code null} for its provisioned keys alone; not changed
     * @throws VerificationException with the first check that failed
     */
    public VerifiedOffer verifyOffer(DeviceAnswer.Offer offer, Expectations expectations, TrustHistory known)
            throws VerificationException {
        Checkpoint checkpoint;
        try {
            checkpoint = CheckpointCodec.verify(offer.checkpoint(), logKey);
        } catch (InvalidCheckpointException e) {
            throw new VerificationException(Failure.BAD_CHECKPOINT, "the checkpoint is not signed by the log key "
                    + "this device trusts: " + e.getMessage());
        }
        checkIncluded(offer.proof(), offer.eventBytes(), checkpoint, "the release event");
        List<DeviceAnswer.TrustChange> changes = new ArrayList<>(offer.trustChanges());
        for (DeviceAnswer.TrustChange change : changes) {
            checkIncluded(change.proof(), change.eventBytes(), checkpoint, "a trust change (" + change.event().type()
                    + ")");
        }
        TrustHistory trust = known != null ? known.copy() : new TrustHistory(provisioned);
        changes.sort(Comparator.comparingLong(c -> c.proof().leafIndex()));
        try {
            for (DeviceAnswer.TrustChange c : changes) {
                if (c.change() instanceof TrustEvents.KeyRotated r && !TrustEvents.signedByOldKey(c.event(), r)) {
                    continue; // vouched for by the platform alone: a device follows its manufacturer's keys only
                }
                trust.apply(c.change(), c.event().time(), c.proof().leafIndex());
            }
        } catch (TrustException e) {
            throw new VerificationException(Failure.TRUST_UNAVAILABLE, "cannot apply the offer's trust changes: "
                    + e.getMessage());
        }
        return new VerifiedOffer(new ManifestVerifier(trust).verify(offer.manifest(), expectations), checkpoint,
                trust);
    }

    private static void checkIncluded(InclusionProof proof, byte[] eventBytes, Checkpoint checkpoint, String what)
            throws VerificationException {
        if (proof.treeSize() != checkpoint.treeSize()) {
            throw new VerificationException(Failure.BAD_PROOF, "the inclusion proof of " + what + " is for a tree of "
                    + proof.treeSize() + " events, the checkpoint covers " + checkpoint.treeSize());
        }
        try {
            MerkleTree.verifyInclusion(proof, MerkleHash.leafHash(eventBytes), checkpoint.rootHash());
        } catch (InvalidProofException e) {
            throw new VerificationException(Failure.BAD_PROOF, what + " is not in the signed checkpoint: "
                    + e.getMessage());
        }
    }
}
