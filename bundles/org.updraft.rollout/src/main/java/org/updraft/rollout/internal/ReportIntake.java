package org.updraft.rollout.internal;

import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateException;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.update.BadSignatureException;
import org.updraft.core.update.DeviceAttestations;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateFormatException;

/**
 * What devices send: signed status reports and enrollments. Each is checked (signature, order, offer), then
 * appended to the ledger before it takes effect: in the registry, and for reports in the rollout's counters, which
 * may pass a wave or pause the rollout.
 */
final class ReportIntake {

    private static final Logger LOG = LoggerFactory.getLogger(ReportIntake.class);

    private final RolloutEngine engine;
    private final TrustStore trust;
    private final boolean attestationRequired;

    /**
     * @param attestationRequired whether an enrollment must carry its manufacturer's device certificate
     *        ({@link DeviceAttestations}); one that carries one has it checked either way
     */
    ReportIntake(RolloutEngine engine, TrustStore trust, boolean attestationRequired) {
        this.engine = engine;
        this.trust = trust;
        this.attestationRequired = attestationRequired;
    }

    ReportReceipt report(byte[] signedReport) throws UpdateException {
        if (signedReport == null) {
            throw new UpdateException("malformed", "no report");
        }
        SignedReport signed;
        try {
            signed = DeviceReports.parse(signedReport);
        } catch (UpdateFormatException e) {
            throw new UpdateException("malformed", e.getMessage());
        }
        DeviceReport report = signed.report();
        Device device = UpdateRefusals.registered(engine.registry, report.deviceId());
        try {
            signed.verify(device.publicKey());
        } catch (UpdateFormatException e) {
            throw new UpdateException("bad-signature", e.getMessage());
        }
        ReportReceipt receipt = null;
        try {
            // The device's lock keeps its counter check and its append together; the append itself is outside the
            // engine's lock, so that the reports of many devices share one fsync (the ledger's group commit).
            synchronized (engine.deviceLock(device.id())) {
                RolloutRecord r;
                int wave;
                synchronized (engine) {
                    engine.catchUp();
                    RolloutBook.LastReport last = engine.book().lastReport(device.id());
                    if (last != null && report.counter() <= last.counter()) {
                        if (report.counter() == last.counter() && RolloutBook.sameBytes(last, signedReport)) {
                            receipt = new ReportReceipt(-1, true);
                        } else {
                            throw new UpdateException("stale", "report " + report.counter() + " of device "
                                    + device.id() + " is not newer than report " + last.counter() + ", already recorded");
                        }
                    }
                    boolean stale = report.state() == DeviceState.STALE; // about no rollout
                    r = stale ? null : engine.book().reportedRollout(device.id(), report.rolloutId(),
                            report.releaseId());
                    // a finished rollout dropped the offers that ended: the device's newest report tells its wave
                    wave = r == null ? -1 : engine.book().offeredWave(r, device.id());
                    if (receipt == null && !stale && (wave < 0 || !r.releaseId().equals(report.releaseId()))) {
                        throw new UpdateException("wrong-device", "device " + device.id() + " was not offered release "
                                + report.releaseId() + (report.rolloutId() != null ? " by rollout " + report.rolloutId() : ""));
                    }
                }
                if (receipt == null) {
                    long index = engine.ledger.append(new LedgerEvent(EventTypes.DEVICE_REPORTED, engine.now(),
                            device.publicKey(), DeviceEvents.reported(signed), null)).index();
                    synchronized (engine) {
                        engine.catchUp();
                        receipt = new ReportReceipt(index, false);
                        if (r != null) {
                            engine.evaluate(r, report.state().isFailure() ? wave : -1);
                        }
                    }
                    if (r == null) {
                        // a security signal, not an update step: answers withheld or replaced on the device's path
                        LOG.warn("Device {} reports it went without an answer the platform vouched for: {}", device.id(),
                                report.reason());
                    }
                }
            }
            // after the ledger: a retransmission records it again, in case the registry failed the first time
            recordState(device, report);
        } catch (LedgerException e) {
            throw UpdateRefusals.unavailable("the ledger", e);
        } catch (RegistryException e) {
            throw UpdateRefusals.unavailable("the device registry", e);
        } finally {
            engine.tellListeners();
        }
        return receipt;
    }

    /** installed moves the device to the new image; every other state keeps the image it runs. */
    private void recordState(Device device, DeviceReport report) throws RegistryException {
        boolean installed = report.state() == DeviceState.INSTALLED;
        engine.registry.recordState(device.id(), report.state(),
                installed ? report.installedVersion() : device.installedVersion(),
                installed ? report.installedSequence() : device.installedSequence(), engine.now());
    }

    Device enroll(byte[] signedEnrollment) throws UpdateException {
        if (signedEnrollment == null) {
            throw new UpdateException("malformed", "no enrollment");
        }
        Enrollment e;
        try {
            e = Enrollments.verify(signedEnrollment);
        } catch (BadSignatureException ex) {
            throw new UpdateException("bad-signature", ex.getMessage());
        } catch (UpdateFormatException ex) {
            throw new UpdateException("malformed", ex.getMessage());
        }
        if (attestationRequired || e.attestation() != null) {
            try {
                DeviceAttestations.check(e.attestation(), e, trust::find);
            } catch (BadSignatureException ex) {
                throw new UpdateException("bad-signature", ex.getMessage());
            } catch (UpdateFormatException ex) {
                throw new UpdateException("malformed", ex.getMessage());
            } catch (TrustException ex) {
                throw UpdateRefusals.unavailable("the trust store", ex);
            }
        }
        try {
            Device existing = engine.registry.find(e.deviceId()).orElse(null);
            if (existing != null) {
                if (existing.publicKey().equals(e.publicKey())) {
                    return existing; // enrolled already: the registry holds what reports changed since
                }
                throw new UpdateException("exists", "device id " + e.deviceId() + " is registered with another key");
            }
            Device device = new Device(e.deviceId(), e.publicKey(), e.vendor(), e.deviceClass(), e.profile(), e.tags(),
                    e.region(), e.installedVersion(), e.installedSequence(), DeviceState.IDLE, null, engine.now());
            Device registered;
            // the device's lock keeps the freshness check and the append together, as for reports
            synchronized (engine.deviceLock(e.deviceId())) {
                Instant last;
                synchronized (engine) {
                    engine.catchUp();
                    last = engine.book().lastEnrollment(e.deviceId());
                }
                if (last != null && !e.time().isAfter(last)) {
                    // a removed device is not brought back by its captured enrollment: only the device's key can
                    // sign a newer one
                    throw new UpdateException("stale", "enrollment of " + e.deviceId() + " made at " + e.time()
                            + " is not newer than the one recorded for that id, made at " + last
                            + "; a device enrolls again with a new enrollment");
                }
                engine.ledger.append(new LedgerEvent(EventTypes.DEVICE_ENROLLED, engine.now(), e.publicKey(),
                        signedEnrollment, null));
                registered = engine.registry.register(device);
            }
            LOG.info("Device {} ({}/{}) enrolled itself", device.id(), device.vendor(), device.deviceClass());
            return registered;
        } catch (RegistryException ex) {
            if ("exists".equals(ex.code())) {
                throw new UpdateException("exists", "device id " + e.deviceId() + " was registered meanwhile");
            }
            if ("invalid".equals(ex.code())) {
                throw new UpdateException("malformed", ex.getMessage());
            }
            throw UpdateRefusals.unavailable("the device registry", ex);
        } catch (LedgerException ex) {
            throw UpdateRefusals.unavailable("the ledger", ex);
        }
    }
}
