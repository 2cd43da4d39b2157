package org.updraft.device;

import java.time.Duration;

import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ReleaseAnchor;

/**
 * How one update attempt of a device ended.
 *
 * @param deviceId the device
 * @param state {@link DeviceState#INSTALLED}, {@link DeviceState#FAILED} or {@link DeviceState#ROLLED_BACK}
 * @param rolloutId the rollout that offered the release
 * @param releaseId the release offered
 * @param anchor where the offer said the release is recorded on a blockchain, kept for auditors (the device
 *        does not check it), or {@code null} when the offer carried none
 * @param reason for failed and rolled-back: the failure code ({@code bad-proof}, {@code digest-mismatch},
 *        {@code download-failed}, {@code boot-failed}, …); otherwise {@code null}
 * @param version the version the device runs afterwards
 * @param sequence the sequence number it runs afterwards
 * @param bytesDownloaded image and patch bytes received, repeats included
 * @param blockRequests block requests made, repeats included
 * @param blockRetries block requests repeated after CoAP gave up on an exchange (resumed at that block)
 * @param retransmissions CoAP-level retransmissions of this device's requests
 * @param reportsUndelivered reports the platform never acknowledged (refused, or unreachable after all retries)
 * @param elapsed from the offer to the end
 * @param source where the new image came from: downloaded whole, rebuilt from the offered delta, or downloaded
 *        whole after the delta failed (reported {@code downloading} with reason {@code delta-mismatch})
 */
public record UpdateOutcome(String deviceId, DeviceState state, String rolloutId, String releaseId,
        ReleaseAnchor anchor, String reason,
        String version, long sequence, long bytesDownloaded, long blockRequests, long blockRetries,
        long retransmissions, int reportsUndelivered, Duration elapsed, Source source) {

    /** Where an update's image came from. */
    public enum Source {
        /** The full image was downloaded. */
        IMAGE,
        /** The image was rebuilt from the offered delta's patch and the running image. */
        DELTA,
        /** The delta failed (refused patch, or a rebuilt image unlike the manifest's); the full image followed. */
        IMAGE_AFTER_DELTA
    }

    /** An outcome of an update without delta. */
    public UpdateOutcome(String deviceId, DeviceState state, String rolloutId, String releaseId, ReleaseAnchor anchor,
            String reason, String version, long sequence, long bytesDownloaded, long blockRequests,
            long blockRetries, long retransmissions, int reportsUndelivered, Duration elapsed) {
        this(deviceId, state, rolloutId, releaseId, anchor, reason, version, sequence, bytesDownloaded,
                blockRequests, blockRetries, retransmissions, reportsUndelivered, elapsed, Source.IMAGE);
    }
}
