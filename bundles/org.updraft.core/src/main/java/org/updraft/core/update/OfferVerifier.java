package org.updraft.core.update;

import java.util.Objects;

import org.updraft.api.ledger.Checkpoint;
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
 * <li>the manifest inside the event passes {@link ManifestVerifier} for this device (signature, signer,
 * vendor, class, profile, sequence).</li>
 * </ol>
 * The image itself is checked after the download with {@link VerifiedManifest#checkImage}. Thread-safe.
 */
public final class OfferVerifier {

    private final VerificationKey logKey;
    private final ManifestVerifier manifests;

    /**
     * @param logKeyDid the did:key of the platform's transparency log, provisioned into the device
     * @param trust the manufacturer keys the device trusts
     */
    public OfferVerifier(String logKeyDid, TrustLookup trust) {
        this.logKey = VerificationKey.fromDid(Objects.requireNonNull(logKeyDid, "logKeyDid"));
        this.manifests = new ManifestVerifier(trust);
    }

    /** An offer that passed every check: its manifest, and the checkpoint it was proven against. */
    public record VerifiedOffer(VerifiedManifest manifest, Checkpoint checkpoint) {
    }

    /**
     * @throws VerificationException with the first check that failed
     */
    public VerifiedManifest verify(DeviceAnswer.Offer offer, Expectations expectations) throws VerificationException {
        return verifyOffer(offer, expectations).manifest();
    }

    /**
     * As {@link #verify}, and gives the verified checkpoint too: a device checks it against the one it verified
     * before ({@link TrustedCheckpoint}).
     *
     * @throws VerificationException with the first check that failed
     */
    public VerifiedOffer verifyOffer(DeviceAnswer.Offer offer, Expectations expectations)
            throws VerificationException {
        Checkpoint checkpoint;
        try {
            checkpoint = CheckpointCodec.verify(offer.checkpoint(), logKey);
        } catch (InvalidCheckpointException e) {
            throw new VerificationException(Failure.BAD_CHECKPOINT, "the checkpoint is not signed by the log key "
                    + "this device trusts: " + e.getMessage());
        }
        if (offer.proof().treeSize() != checkpoint.treeSize()) {
            throw new VerificationException(Failure.BAD_PROOF, "the inclusion proof is for a tree of "
                    + offer.proof().treeSize() + " events, the checkpoint covers " + checkpoint.treeSize());
        }
        try {
            MerkleTree.verifyInclusion(offer.proof(), MerkleHash.leafHash(offer.eventBytes()), checkpoint.rootHash());
        } catch (InvalidProofException e) {
            throw new VerificationException(Failure.BAD_PROOF, "the release event is not in the signed checkpoint: "
                    + e.getMessage());
        }
        return new VerifiedOffer(manifests.verify(offer.manifest(), expectations), checkpoint);
    }
}
