package org.updraft.transport.lorawan.internal.sim;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.transport.lorawan.internal.update.ReportFrames;
import org.updraft.transport.lorawan.internal.update.UpdateBlock;

/**
 * A LoRaWAN device's update firmware, as the CoAP device agent runs it but fed by a FUOTA session: the rebuilt block
 * ({@link UpdateBlock}) holds the platform's offer and the image; it verifies the offer with the shared
 * {@link OfferVerifier} (checkpoint signed by the log key it was provisioned with, inclusion proof, manifest
 * signature, signer trusted, vendor, class, profile, sequence newer than what it runs), then the image against the
 * manifest (size, SHA-256, CID), "reboots" into it, and sends its report signed with its own key, cut into
 * report frames ({@link ReportFrames}). A refused offer or image is reported {@code failed} with the failure's code,
 * and the device keeps running what it ran.
 *
 * <p>What it cannot do over LoRaWAN: ask for a consistency proof between checkpoints (it keeps none), and check an
 * answer statement (a block shared by a session carries none).
 */
public final class VerifyingFirmware implements SimulatedDevice.Firmware {

    private final String deviceId;
    private final SigningKey key;
    private final String vendor;
    private final String deviceClass;
    private final String profile;
    private final OfferVerifier verifier;
    private final int reportPort;
    private final int frameSize;
    private String version;
    private long sequence;
    private long counter;
    private DeviceState state = DeviceState.IDLE;
    private String reason;
    private boolean reporting = true;

    /**
     * @param deviceId its id in the platform's registry
     * @param key its own key, whose did:key the registry holds
     * @param logKeyDid the platform's log key it was provisioned with
     * @param trust the manufacturer keys it accepts
     * @param version the version it runs
     * @param sequence the sequence of the image it runs
     * @param reportPort the port its reports go on
     * @param frameSize the largest uplink frame payload it sends
     */
    public VerifyingFirmware(String deviceId, SigningKey key, String vendor, String deviceClass, String profile,
            String logKeyDid, TrustLookup trust, String version, long sequence, int reportPort, int frameSize) {
        this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
        this.key = Objects.requireNonNull(key, "key");
        this.vendor = Objects.requireNonNull(vendor, "vendor");
        this.deviceClass = Objects.requireNonNull(deviceClass, "deviceClass");
        this.profile = profile;
        this.verifier = new OfferVerifier(logKeyDid, trust);
        this.version = version;
        this.sequence = sequence;
        this.reportPort = reportPort;
        this.frameSize = frameSize;
    }

    /** A device that installs but never gets to report (its uplink is broken, it crashed after booting). */
    public VerifyingFirmware silent() {
        reporting = false;
        return this;
    }

    /** What it last did with a block: {@code installed}, {@code failed}, or {@code idle} before any. */
    public DeviceState state() {
        return state;
    }

    /** Why its last block failed, or null. */
    public String reason() {
        return reason;
    }

    public long sequence() {
        return sequence;
    }

    public String version() {
        return version;
    }

    @Override
    public synchronized List<SimulatedDevice.Sent> rebuilt(byte[] block, Instant at) {
        DeviceAnswer.Offer offer = null;
        try {
            UpdateBlock parts = UpdateBlock.decode(block);
            if (!(UpdateAnswers.decode(parts.answer()) instanceof DeviceAnswer.Offer o)) {
                state = DeviceState.FAILED;
                reason = "no-offer";
                return List.of();
            }
            offer = o;
            VerifiedManifest verified = verifier.verifyOffer(offer, Expectations.none().vendor(vendor)
                    .deviceClass(deviceClass).profile(profile).installedSequence(sequence).installedVersion(version))
                    .manifest();
            verified.checkImage(MeasuredImage.of(new ByteArrayInputStream(parts.image()),
                    MeasuredImage.cidOptionsFor(verified.manifest().cid())));
            // installed into the other slot, booted, confirmed
            version = verified.manifest().version();
            sequence = verified.manifest().sequence();
            state = DeviceState.INSTALLED;
            reason = null;
        } catch (IllegalArgumentException | UpdateFormatException | IOException e) {
            // a block that is not an offer names no release to report about
            state = DeviceState.FAILED;
            reason = "malformed-block";
            return List.of();
        } catch (VerificationException e) {
            state = DeviceState.FAILED;
            reason = e.failure().code();
        }
        if (!reporting) {
            return List.of();
        }
        byte[] report = DeviceReports.sign(new DeviceReport(deviceId, offer.rolloutId(), offer.releaseId(), state,
                reason, version, sequence, at, ++counter), key);
        List<SimulatedDevice.Sent> out = new ArrayList<>();
        Instant when = at.plusSeconds(5);
        for (byte[] frame : ReportFrames.split(report, (int) counter, frameSize)) {
            out.add(new SimulatedDevice.Sent(when, reportPort, frame));
            // one uplink every few seconds, as a Class A device's duty cycle allows
            when = when.plusSeconds(3);
        }
        return out;
    }
}
