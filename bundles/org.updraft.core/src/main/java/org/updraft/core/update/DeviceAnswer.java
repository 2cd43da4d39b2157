package org.updraft.core.update;

import java.time.Duration;
import java.util.Objects;

import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.ReleaseAnchor;
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
     */
    record Offer(String rolloutId, String releaseId, byte[] eventBytes, LedgerEvent event, SignedManifest manifest,
            InclusionProof proof, byte[] checkpoint, ReleaseAnchor anchor) implements DeviceAnswer {
        public Offer {
            Objects.requireNonNull(rolloutId, "rolloutId");
            Objects.requireNonNull(releaseId, "releaseId");
            eventBytes = eventBytes.clone();
            checkpoint = checkpoint.clone();
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
     * Nothing to install now.
     *
     * @param reason the platform's reason ({@code up-to-date}, {@code no-rollout}, {@code outside-window}, …)
     * @param retryAfter when to check again at the latest, or {@code null}
     */
    record None(String reason, Duration retryAfter) implements DeviceAnswer {
    }
}
