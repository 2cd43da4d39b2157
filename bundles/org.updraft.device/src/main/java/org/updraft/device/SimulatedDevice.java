package org.updraft.device;

import java.time.Instant;
import java.util.Objects;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.TrustedCheckpoint;

/**
 * A simulated device: its provisioning and what survives its resets — its flash (with the bootloader of its
 * profile), the counter of its reports (replay protection: the platform refuses a report whose counter is not
 * above the last it recorded, so the counter lives in non-volatile memory, not in the agent) and the largest
 * checkpoint of the transparency log it verified (every later one must extend it: {@link TrustedCheckpoint}) and
 * the manufacturer keys it trusts, its provisioned ones moved on by the rotations and revocations offers proved to it
 * ({@link TrustHistory}).
 */
public final class SimulatedDevice {

    private final Provisioning provisioning;
    private final DeviceFlash flash;
    private long reportCounter;
    private TrustedCheckpoint trustedCheckpoint;
    /** When it last got an answer the platform vouched for, or null before its agent first ran. */
    private Instant lastVouched;
    /** Null until an offer's trust changes were kept: the provisioned keys alone. */
    private TrustHistory trust;

    /**
     * @param reportCounter the counter of the last report this device sent (0 for a new device)
     */
    public SimulatedDevice(Provisioning provisioning, DeviceFlash flash, long reportCounter) {
        this.provisioning = Objects.requireNonNull(provisioning, "provisioning");
        this.flash = Objects.requireNonNull(flash, "flash");
        if (reportCounter < 0) {
            throw new IllegalArgumentException("the report counter must not be negative");
        }
        this.reportCounter = reportCounter;
    }

    public Provisioning provisioning() {
        return provisioning;
    }

    public String id() {
        return provisioning.deviceId();
    }

    public DeviceFlash flash() {
        return flash;
    }

    /** The counter of the last report sent. */
    public synchronized long reportCounter() {
        return reportCounter;
    }

    /** Takes the counter for a new report; persisted before the report leaves the device. */
    synchronized long nextReportCounter() {
        return ++reportCounter;
    }

    /** The largest checkpoint of the log this device verified, or {@code null} before its first offer. */
    public synchronized TrustedCheckpoint trustedCheckpoint() {
        return trustedCheckpoint;
    }

    /**
     * Remembers a checkpoint the device verified and found consistent with the one before (the agent's job), or
     * one it was provisioned with at the factory.
     */
    public synchronized void trustCheckpoint(TrustedCheckpoint checkpoint) {
        this.trustedCheckpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    }

    /** When this device last got an answer the platform vouched for, or {@code null} before its agent first ran. */
    public synchronized Instant lastVouched() {
        return lastVouched;
    }

    /** Remembers when the device last got an answer the platform vouched for (or when it first started counting). */
    public synchronized void vouched(Instant time) {
        this.lastVouched = Objects.requireNonNull(time, "time");
    }

    /**
     * The manufacturer keys this device trusts now: a copy, which the caller may change without changing the
     * device's.
     */
    public synchronized TrustHistory trust() {
        return trust != null ? trust.copy() : new TrustHistory(provisioning.trust());
    }

    /** Keeps the trust an offer moved on, once the device accepted the checkpoint that proves its changes. */
    public synchronized void keepTrust(TrustHistory trust) {
        this.trust = Objects.requireNonNull(trust, "trust").copy();
    }

    /** The registry record for this device as it is now, for an operator registering the fleet. */
    public Device toDevice(Instant registered) {
        DeviceFlash.Image running = flash.running();
        Provisioning p = provisioning;
        return new Device(p.deviceId(), p.did(), p.vendor(), p.deviceClass(), p.profile(), p.tags(), p.region(),
                running.version(), running.sequence(), DeviceState.IDLE, null, registered);
    }

    /** The enrollment this device sends when the platform registers devices on their own request. */
    public Enrollment toEnrollment(Instant time) {
        DeviceFlash.Image running = flash.running();
        Provisioning p = provisioning;
        return new Enrollment(p.deviceId(), p.did(), p.vendor(), p.deviceClass(), p.profile(), p.tags(), p.region(),
                running.version(), running.sequence(), time, p.attestation());
    }

    @Override
    public String toString() {
        return "SimulatedDevice[" + id() + ", running " + flash.running().version() + "]";
    }
}
