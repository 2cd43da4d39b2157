package org.updraft.transport.lorawan.internal.sim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.updraft.api.delta.DeltaCodec;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.delta.DeltaException;
import org.updraft.api.device.DeviceState;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.delta.Deltas;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.Expectations;
import org.updraft.core.manifest.Failure;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.manifest.VerificationException;
import org.updraft.core.manifest.VerifiedManifest;
import org.updraft.core.update.DeviceAnswer;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.OfferVerifier;
import org.updraft.core.update.SessionStatements;
import org.updraft.core.update.TrustedCheckpoint;
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
 * <p>A block whose payload is a delta ({@link UpdateBlock.Payload#DELTA}) is applied as the device agent applies one,
 * with the platform's own delta code ({@link Deltas#apply}: the image it runs must be the patch's base, the output is
 * bounded by the manifest's size), and the rebuilt image is verified against the signed manifest exactly as a
 * received one. A patch that does not apply, or builds another image, is given up with reason
 * {@code delta-mismatch: <code>} (the codec's refusal, {@code base-mismatch} when it runs another image than the
 * patch's base, or the image check's failure such as {@code digest-mismatch}): it keeps running what it ran and
 * reports {@code downloading} with that reason, as the CoAP device agent does before it downloads the full image; a
 * LoRaWAN device cannot fetch the image itself, so the transport sends it in a later session.
 *
 * <p>Provisioned with the platform's statement key ({@link #statementKey}), it acts on no block whose session
 * statement ({@link SessionStatements}) does not name it, vouch for the block's offer, or has expired by its clock:
 * such a block is dropped unreported (state {@code failed}, reason {@code unvouched: ...}), as a CoAP device drops an
 * answer the platform did not vouch for, since whoever sent it may not be the platform.
 *
 * <p>It keeps the largest checkpoint it verified ({@link TrustedCheckpoint}), as the CoAP device agent does, and acts
 * on no offer whose checkpoint it cannot link to it. It cannot ask for the consistency proof over LoRaWAN: the block
 * carries the proofs the session's devices need ({@link UpdateBlock} version 4). The first checkpoint it verifies under
 * its log key is kept as it is; a later one of the same size must have the same root, one of another size needs the
 * proof from the smaller size to the larger in the block. A proof that fails (or is malformed when its own is not
 * there), or another root at the same size, is {@code log-fork}: reported {@code failed}, nothing installed, the kept
 * checkpoint unchanged. A block without its proof (an older version, or a transport that did not know the size it
 * holds) is reported {@code downloading} with reason {@code log-unproven: <size it holds>}, nothing installed, so
 * that the transport sends the proof in a later session.
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
    /** The image it runs, or null when the simulation does not say (a delta then cannot be applied). */
    private byte[] image;
    private long deltaMemory = DEFAULT_DELTA_MEMORY;
    /** The platform's statement key it was provisioned with, or null: then it checks no statement. */
    private VerificationKey statementKey;
    /** The largest checkpoint it verified, or null before its first. */
    private TrustedCheckpoint checkpoint;

    /** The working memory it gives a delta codec: the platform's default for classes without a profile. */
    public static final long DEFAULT_DELTA_MEMORY = 4L * 1024 * 1024;

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

    /** The image it runs (the one of {@code version} and {@code sequence}): the base a delta is applied to. */
    public synchronized VerifyingFirmware running(byte[] installed) {
        this.image = installed.clone();
        return this;
    }

    /** Provisions the platform's statement key: from now on a block must carry a statement naming this device. */
    public synchronized VerifyingFirmware statementKey(String did) {
        this.statementKey = VerificationKey.fromDid(did);
        return this;
    }

    /** The working memory it gives a delta codec; a patch that needs more is refused. */
    public synchronized VerifyingFirmware deltaMemory(long bytes) {
        this.deltaMemory = bytes;
        return this;
    }

    /** The largest checkpoint of the log it verified, or null before any. */
    public synchronized TrustedCheckpoint trustedCheckpoint() {
        return checkpoint;
    }

    /** The image it runs, or null when unknown. */
    public synchronized byte[] image() {
        return image == null ? null : image.clone();
    }

    /**
     * What it last did with a block: {@code installed}, {@code failed}, {@code downloading} after it gave up a patch
     * (waiting for the full image), or {@code idle} before any.
     */
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
            if (statementKey != null) {
                byte[] statement = parts.statement();
                try {
                    SessionStatements.check(statement.length == 0 ? null : statement, statementKey, deviceId,
                            offer.rolloutId(), offer.releaseId(), at);
                } catch (UpdateFormatException e) {
                    state = DeviceState.FAILED;
                    reason = "unvouched: " + e.getMessage();
                    return List.of();
                }
            }
            OfferVerifier.VerifiedOffer checked = verifier.verifyOffer(offer, Expectations.none().vendor(vendor)
                    .deviceClass(deviceClass).profile(profile).installedSequence(sequence).installedVersion(version));
            VerifiedManifest verified = checked.manifest();
            // before a byte of the payload is used: the offer must be of the log it knows
            checkpoint = extendLog(checked.checkpoint(), parts.proofs());
            byte[] built = parts.kind() == UpdateBlock.Payload.DELTA ? rebuild(offer, verified, parts.payload())
                    : parts.payload();
            try {
                verified.checkImage(MeasuredImage.of(new ByteArrayInputStream(built),
                        MeasuredImage.cidOptionsFor(verified.manifest().cid())));
            } catch (VerificationException e) {
                if (parts.kind() == UpdateBlock.Payload.DELTA) {
                    // the patch is never trusted: what it built is not the signed image
                    throw new DeltaRefused(e.failure().code());
                }
                throw e;
            }
            // installed into the other slot, booted, confirmed
            version = verified.manifest().version();
            sequence = verified.manifest().sequence();
            image = built;
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
        } catch (LogUnproven e) {
            // not a fork, and nothing proven either: it waits for a block with the proof
            state = DeviceState.DOWNLOADING;
            reason = UpdateBlock.LOG_UNPROVEN + ": " + e.treeSize;
        } catch (DeltaRefused e) {
            // as the CoAP device agent does: the update goes on, by the full image (which it cannot fetch itself
            // over LoRaWAN: its report tells the transport to send the image in a later session)
            state = DeviceState.DOWNLOADING;
            reason = Failure.DELTA_MISMATCH.code() + ": " + e.getMessage();
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

    /**
     * The checkpoint to keep after {@code seen} (verified under the log key): the first one as it is, later ones
     * linked to the kept one by the block's proof between their sizes.
     *
     * @throws VerificationException {@link Failure#LOG_FORK} for another root at the same size, a proof that fails,
     *         or a malformed proof where its own is missing
     * @throws LogUnproven when the block carries no proof from the size it keeps
     */
    private TrustedCheckpoint extendLog(Checkpoint seen, List<byte[]> proofs)
            throws VerificationException, LogUnproven {
        if (checkpoint == null) {
            return TrustedCheckpoint.of(seen);
        }
        if (!checkpoint.needsProof(seen)) {
            return checkpoint.extend(seen, null);
        }
        long from = checkpoint.proofFrom(seen);
        long to = checkpoint.proofTo(seen);
        String malformed = null;
        for (byte[] bytes : proofs) {
            ConsistencyProof proof;
            try {
                proof = UpdateAnswers.decodeConsistency(bytes);
            } catch (UpdateFormatException | IllegalArgumentException e) {
                malformed = e.getMessage();
                continue;
            }
            if (proof.firstSize() == from && proof.secondSize() == to) {
                return checkpoint.extend(seen, proof);
            }
        }
        if (malformed != null) {
            // garbled where a proof was sent: as the CoAP device agent treats a malformed proof
            throw new VerificationException(Failure.LOG_FORK, "a malformed consistency proof in the block, none from "
                    + from + " to " + to + " events: " + malformed);
        }
        throw new LogUnproven(checkpoint.treeSize());
    }

    /**
     * Applies the block's patch to the image it runs, into memory (the other slot): the offer must carry the delta,
     * the patch be the size it states, the codec one this firmware has; the base's digest and the output's size are
     * checked by {@link Deltas#apply}.
     */
    private byte[] rebuild(DeviceAnswer.Offer offer, VerifiedManifest verified, byte[] patch) throws DeltaRefused {
        DeviceAnswer.OfferedDelta delta = offer.delta();
        if (delta == null) {
            throw new DeltaRefused("no-delta-offered");
        }
        if (image == null) {
            throw new DeltaRefused("no-base");
        }
        if (patch.length != delta.size()) {
            throw new DeltaRefused("patch-size");
        }
        DeltaCodec codec = DeltaCodecs.find(delta.codec()).orElse(null);
        if (codec == null) {
            throw new DeltaRefused(DeltaException.Reason.UNSUPPORTED.code());
        }
        long size = verified.manifest().size();
        ByteArrayOutputStream slot = new ByteArrayOutputStream((int) Math.min(size, 1 << 24));
        try {
            Deltas.apply(codec, Deltas.channel(image), delta.baseSha256(), Deltas.channel(patch), slot, size,
                    deltaMemory);
        } catch (DeltaException e) {
            throw new DeltaRefused(e.reason().code());
        } catch (IOException e) {
            throw new DeltaRefused("apply-failed");
        }
        return slot.toByteArray();
    }

    /** A block without the consistency proof from the checkpoint the device keeps. */
    private static final class LogUnproven extends Exception {
        private static final long serialVersionUID = 1L;
        final long treeSize;

        LogUnproven(long treeSize) {
            super(null, null, false, false);
            this.treeSize = treeSize;
        }
    }

    /** A delta the device gave up, with the short code its report gives. */
    private static final class DeltaRefused extends Exception {
        private static final long serialVersionUID = 1L;

        DeltaRefused(String code) {
            super(code, null, false, false);
        }
    }
}
