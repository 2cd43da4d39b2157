package org.updraft.api.update;

import java.time.Duration;
import java.util.Collection;

import org.osgi.annotation.versioning.ProviderType;
import org.updraft.api.device.Device;
import org.updraft.api.ledger.ConsistencyProof;

/**
 * The device-facing side of the platform, shared by every transport. A transport decodes its own framing,
 * hands the device's request here, and encodes the answer with {@code org.updraft.core.update}.
 *
 * <p>Rules every answer keeps: a device is never offered a release that is not newer (by sequence) than what
 * it runs, nor one for another vendor, class or profile, nor one whose signer is revoked, nor one of a rollout
 * that is not running or a wave it is not in. The first offer of a rollout to a device is a
 * {@code rollout.offered} ledger event, so the ledger shows every device that was ever offered a release.
 */
@ProviderType
public interface UpdateService {

    /**
     * Decides what a device should install.
     *
     * @param deviceId the device asking
     * @param installedSequence the sequence number of the image it runs now, as it says
     * @throws UpdateException {@code unknown-device}, or {@code unavailable} when the registry or ledger is down
     */
    UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException;

    /**
     * Decides what a device should install, saying whether the transport proved that the request came from the
     * device: its DTLS peer's key is the device's, its broker credentials, its token. A first offer made to a request
     * nothing proved (unencrypted CoAP, where anyone can name any device) takes no slot of its wave's download cap
     * until the device's own signed report comes, so whoever can name device ids cannot use up a wave's downloads.
     * {@link #check(String, long)} is this with {@code authenticated} true.
     */
    default UpdateAnswer check(String deviceId, long installedSequence, boolean authenticated)
            throws UpdateException {
        return check(deviceId, installedSequence);
    }

    /**
     * Records a device's signed status report ({@code org.updraft.core.update.DeviceReports}): verifies the
     * device's signature with its registered key, appends a {@code device.reported} event, updates the
     * registry and the rollout's counters (which may pass a wave or pause the rollout). A retransmitted report
     * is recorded once.
     */
    ReportReceipt report(byte[] signedReport) throws UpdateException;

    /**
     * Registers a device that asks to be registered ({@code org.updraft.core.update.Enrollments}: signed by
     * the key it enrolls, which proves possession). Transports call this only when their configuration allows
     * auto-registration. Enrolling again with the same key and fields is accepted and changes nothing.
     */
    Device enroll(byte[] signedEnrollment) throws UpdateException;

    /**
     * The ledger's consistency proof from tree size {@code firstSize} to {@code secondSize}, for a device that
     * was shown a checkpoint of another size than the one it verified before (a device never trusts a log that
     * does not only grow). Public data: it names no device.
     *
     * @throws UpdateException {@code bad-range} when {@code firstSize > secondSize} or the ledger has fewer than
     *         {@code secondSize} events (a checkpoint of that size is not this ledger's), {@code unavailable} when
     *         the ledger is down
     */
    ConsistencyProof consistency(long firstSize, long secondSize) throws UpdateException;

    /**
     * The platform's signed statement about an answer it gives a device ({@code org.updraft.core.update.
     * AnswerStatements}): that the answer is for this device, offers this rollout's release (or nothing new),
     * answers the request that carried {@code nonce}, and expires after the configured lifetime. Every transport
     * sends it with every answer, so that a captured answer cannot be replayed to another device or later.
     *
     * @param nonce the nonce of the device's request, at most 32 bytes; empty when the device sent none or nobody
     *        asked (a notification, a retained offer)
     * @throws UpdateException {@code malformed} for a longer nonce
     */
    byte[] statement(String deviceId, UpdateAnswer answer, byte[] nonce) throws UpdateException;

    /**
     * The platform's signed statement about one offer a transport sends to several devices at once, in a session
     * that carries the same bytes to all of them (a LoRaWAN FUOTA session's data block, which no device asked for):
     * that the offer is for exactly these devices, in this session, until {@code lifetime} has passed
     * ({@code org.updraft.core.update.SessionStatements}). A device checks that it is named, so that a captured
     * block cannot be passed on to a device it was not for, nor after the session.
     *
     * @param sessionId the transport's id of the session, at most 32 bytes
     * @param lifetime how long the session may take; the statement expires then
     * @throws UpdateException {@code malformed} for a longer session id, no device, or more devices than a statement
     *         holds; {@code unsupported} when this service signs no session statements
     */
    default byte[] sessionStatement(Collection<String> deviceIds, UpdateAnswer.Offer offer, byte[] sessionId,
            Duration lifetime) throws UpdateException {
        throw new UpdateException("unsupported", "this update service signs no session statements");
    }

    /** The did:key of the platform's statement key, which devices are provisioned with to check statements. */
    String statementKey();

    /** Tells the service that a transport served image bytes of a release, for rollout statistics. */
    void bytesServed(String releaseId, long bytes);
}
