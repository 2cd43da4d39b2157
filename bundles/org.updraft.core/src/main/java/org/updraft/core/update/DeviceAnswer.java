package org.updraft.core.update;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.multiformats.Cid;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.manifest.SignedManifest;

/** An update check's answer as a device decodes it ({@link UpdateAnswers#decode}); nothing in it is verified yet. */
public sealed interface DeviceAnswer {

    /**
     * A release offered to the device.
     *
     * @param rolloutId the rollout offering it; reports about it name this rollout
     * @param releaseId the release id, {@code vendor/class/sequence}
     * @param eventBytes the {@code release.published} ledger event, exactly as the ledger hashes it
     * @param event those bytes decoded
     * @param manifest the signed manifest carried in the event
     * @param proof the event's inclusion proof
     * @param checkpoint the signed checkpoint (COSE_Sign1) the proof leads to
     * @param anchor where the release is recorded on a blockchain, as the platform says (for auditors; the
     *        device does not check it), or {@code null} when the offer carries none
     * @param delta a patch the platform offers beside the full image, or {@code null}; nothing in it is trusted:
     *        the image it rebuilds is verified against the manifest like a downloaded one
     * @param trustChanges rotations and revocations of the vendor's keys, each to be proven in the checkpoint
     *        ({@link OfferVerifier})
     */
    record Offer(String rolloutId, String releaseId, byte[] eventBytes, LedgerEvent event, SignedManifest manifest,
            InclusionProof proof, byte[] checkpoint, ReleaseAnchor anchor, OfferedDelta delta,
            List<TrustChange> trustChanges) implements DeviceAnswer {
        public Offer {
            Objects.requireNonNull(rolloutId, "rolloutId");
            Objects.requireNonNull(releaseId, "releaseId");
            eventBytes = eventBytes.clone();
            checkpoint = checkpoint.clone();
            trustChanges = List.copyOf(trustChanges);
        }

        /** An offer without trust changes. */
        public Offer(String rolloutId, String releaseId, byte[] eventBytes, LedgerEvent event,
                SignedManifest manifest, InclusionProof proof, byte[] checkpoint, ReleaseAnchor anchor,
                OfferedDelta delta) {
            this(rolloutId, releaseId, eventBytes, event, manifest, proof, checkpoint, anchor, delta, List.of());
        }

        /** An offer of the full image only. */
        public Offer(String rolloutId, String releaseId, byte[] eventBytes, LedgerEvent event,
                SignedManifest manifest, InclusionProof proof, byte[] checkpoint, ReleaseAnchor anchor) {
            this(rolloutId, releaseId, eventBytes, event, manifest, proof, checkpoint, anchor, null);
        }

        @Override
        public byte[] eventBytes() {
            return eventBytes.clone();
        }

        @Override
        public byte[] checkpoint() {
            return checkpoint.clone();
        }
    }

    /**
     * A trust event the offer carries: a rotation or revocation of a key of the release's vendor.
     *
     * @param eventBytes the event exactly as the ledger hashes it
     * @param event those bytes decoded
     * @param change the event's payload decoded ({@link TrustEvents#decode})
     * @param proof its inclusion proof in the offer's checkpoint
     */
    record TrustChange(byte[] eventBytes, LedgerEvent event, Record change, InclusionProof proof) {
        public TrustChange {
            eventBytes = eventBytes.clone();
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(change, "change");
            Objects.requireNonNull(proof, "proof");
        }

        @Override
        public byte[] eventBytes() {
            return eventBytes.clone();
        }
    }

    /**
     * A patch offered with a release: applied to the image the device runs, it rebuilds the release's image.
     *
     * @param fromRelease the release whose image the patch applies to
     * @param codec the codec that applies it ({@code bsdiff}, {@code vcdiff})
     * @param patch the patch's CID, downloaded like an image
     * @param size the patch's size in bytes
     * @param baseSha256 the SHA-256 of the image the patch applies to
     * @param memory the working memory in bytes applying it needs
     */
    record OfferedDelta(String fromRelease, String codec, Cid patch, long size, byte[] baseSha256, long memory) {
        public OfferedDelta {
            Objects.requireNonNull(fromRelease, "fromRelease");
            Objects.requireNonNull(codec, "codec");
            Objects.requireNonNull(patch, "patch");
            baseSha256 = baseSha256.clone();
        }

        @Override
        public byte[] baseSha256() {
            return baseSha256.clone();
        }
    }

    /**
     * Nothing to install now.
     *
     * @param reason the platform's reason ({@code up-to-date}, {@code no-rollout}, {@code outside-window}, …)
     * @param retryAfter when to check again at the latest, or {@code null}
     */
    record None(String reason, Duration retryAfter) implements DeviceAnswer {
    }
}
