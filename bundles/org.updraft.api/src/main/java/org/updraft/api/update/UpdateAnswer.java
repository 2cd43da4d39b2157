package org.updraft.api.update;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.release.Release;

/**
 * The answer to a device's update check. {@link #tag()} identifies the answer's content: a transport hands it
 * to the device (as a CoAP ETag), and an unchanged tag lets the device skip the payload.
 */
public sealed interface UpdateAnswer {

    /** Short, stable identifier of this answer's content (at most 8 bytes, for CoAP's ETag). */
    byte[] tag();

    /**
     * The release the device should install, with what it needs to check it offline: the manifest (inside
     * {@code release}), the ledger event that published it, that event's inclusion proof, and the signed
     * checkpoint the proof leads to.
     *
     * @param rolloutId the rollout offering it
     * @param release the release; its manifest bytes are what the device verifies
     * @param releaseEvent the {@code release.published} event as the ledger hashes it
     *        ({@code org.updraft.core.log.LedgerEventCodec} bytes)
     * @param proof inclusion proof of that event in {@code checkpoint}
     * @param checkpoint the signed checkpoint (COSE_Sign1 by the log key)
     * @param anchor where the release is recorded on a blockchain, for auditors; {@code null} when the ledger
     *        anchors on no chain or has not anchored this release yet
     * @param tag the answer's tag, see {@link UpdateAnswer#tag()}
     * @param delta a recorded patch from the image this device runs to the release's image, which the device's
     *        class accepts, offered beside the full image; {@code null} when the device gets the full image only
     * @param trustChanges the ledger's rotations and revocations of the release vendor's keys, each with its inclusion
     *        proof in {@code checkpoint}, oldest first: a device provisioned with an older key follows the rotations
     *        (each signed by the key it replaces) to the release's signer, and learns which keys were revoked
     */
    record Offer(String rolloutId, Release release, byte[] releaseEvent, InclusionProof proof, Checkpoint checkpoint,
            ReleaseAnchor anchor, byte[] tag, Delta delta, List<TrustChange> trustChanges) implements UpdateAnswer {
        public Offer {
            Objects.requireNonNull(rolloutId, "rolloutId");
            Objects.requireNonNull(release, "release");
            releaseEvent = releaseEvent.clone();
            Objects.requireNonNull(proof, "proof");
            Objects.requireNonNull(checkpoint, "checkpoint");
            tag = tag.clone();
            if (delta != null && !delta.toRelease().equals(release.id())) {
                throw new IllegalArgumentException("the delta " + delta.label() + " does not build " + release.id());
            }
            trustChanges = List.copyOf(trustChanges);
            for (TrustChange change : trustChanges) {
                if (change.proof().treeSize() != checkpoint.treeSize()) {
                    throw new IllegalArgumentException("a trust change is proven in a tree of "
                            + change.proof().treeSize() + " events, the offer's checkpoint covers "
                            + checkpoint.treeSize());
                }
            }
        }

        /** An offer without trust changes. */
        public Offer(String rolloutId, Release release, byte[] releaseEvent, InclusionProof proof,
                Checkpoint checkpoint, ReleaseAnchor anchor, byte[] tag, Delta delta) {
            this(rolloutId, release, releaseEvent, proof, checkpoint, anchor, tag, delta, List.of());
        }

        /** An offer of the full image only. */
        public Offer(String rolloutId, Release release, byte[] releaseEvent, InclusionProof proof,
                Checkpoint checkpoint, ReleaseAnchor anchor, byte[] tag) {
            this(rolloutId, release, releaseEvent, proof, checkpoint, anchor, tag, null);
        }

        @Override
        public byte[] releaseEvent() {
            return releaseEvent.clone();
        }

        @Override
        public byte[] tag() {
            return tag.clone();
        }
    }

    /**
     * A trust event on the ledger (a key's rotation or revocation) with its inclusion proof.
     *
     * @param event the event as the ledger hashes it ({@code org.updraft.core.log.LedgerEventCodec} bytes)
     * @param proof its inclusion proof in the offer's checkpoint
     */
    record TrustChange(byte[] event, InclusionProof proof) {
        public TrustChange {
            event = event.clone();
            Objects.requireNonNull(proof, "proof");
        }

        @Override
        public byte[] event() {
            return event.clone();
        }
    }

    /**
     * Nothing to install now.
     *
     * @param reason why, for the device's log: {@code up-to-date} (it runs this release or a newer one),
     *        {@code no-rollout} (none targets it), {@code not-in-wave} (its wave has not started),
     *        {@code outside-window}, {@code download-cap}, {@code paused}, {@code failed} (its update failed or
     *        rolled back in this rollout; it is not offered again), {@code signer-revoked}
     * @param retryAfter when the device should check again at the latest, or {@code null} to use its own schedule
     */
    record NoUpdate(String reason, Duration retryAfter, byte[] tag) implements UpdateAnswer {
        public NoUpdate {
            Objects.requireNonNull(reason, "reason");
            tag = tag.clone();
        }

        @Override
        public byte[] tag() {
            return tag.clone();
        }
    }
}
