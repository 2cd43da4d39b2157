package org.updraft.transport.coap.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.UpdateService;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.MerkleTree;
import org.updraft.core.update.AnswerStatement;
import org.updraft.core.update.AnswerStatements;
import org.updraft.core.update.BadSignatureException;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;
import org.updraft.testing.LookupOnlyRegistry;

/**
 * A small, honest update service for the transport's tests (the rollout engine lives elsewhere): one rollout of
 * one release, offered while it runs to every registered device of its class that runs an older sequence.
 * Reports and enrollments are checked with core's codecs, as the engine checks them.
 */
final class OneRolloutUpdates implements UpdateService {

    static final String ROLLOUT = "r-1";

    private final PublishedRelease published;
    private final Map<String, Device> devices = new ConcurrentHashMap<>();
    private final Map<String, byte[]> lastReport = new ConcurrentHashMap<>();
    private final Map<String, Long> lastCounter = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> served = new ConcurrentHashMap<>();
    private final AtomicLong ledgerIndex = new AtomicLong(100);
    final AtomicInteger checks = new AtomicInteger();
    /** Checks the transport said were proven the device's (over DTLS), and those it said were not (plain CoAP). */
    final AtomicInteger authenticatedChecks = new AtomicInteger();
    final AtomicInteger unauthenticatedChecks = new AtomicInteger();
    volatile boolean running;
    volatile boolean down;
    /** Checks fail as a bug would: with a RuntimeException. */
    volatile boolean broken;
    /** How long each check takes, as a registry lookup on a loaded database would. */
    volatile long checkMillis;

    OneRolloutUpdates(PublishedRelease published) {
        this.published = published;
    }

    void register(String deviceId, String did) {
        devices.put(deviceId, new Device(deviceId, did, PublishedRelease.VENDOR, PublishedRelease.DEVICE_CLASS, null,
                null, null, "1.0.0", 1, DeviceState.IDLE, null, Instant.now()));
    }

    /** The registry as the transport reads it to bind DTLS peers: the registered devices; it only looks them up. */
    DeviceRegistry registry() {
        return new LookupOnlyRegistry(id -> Optional.ofNullable(devices.get(id)), devices::size);
    }

    boolean isRegistered(String deviceId) {
        return devices.containsKey(deviceId);
    }

    long served(String releaseId) {
        LongAdder adder = served.get(releaseId);
        return adder == null ? 0 : adder.sum();
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence, boolean authenticated)
            throws UpdateException {
        (authenticated ? authenticatedChecks : unauthenticatedChecks).incrementAndGet();
        return check(deviceId, installedSequence);
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException {
        checks.incrementAndGet();
        if (checkMillis > 0) {
            try {
                Thread.sleep(checkMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UpdateException("unavailable", "interrupted");
            }
        }
        if (broken) {
            throw new IllegalStateException("a bug in the update service");
        }
        if (down) {
            throw new UpdateException("unavailable", "the registry is not reachable");
        }
        Device device = devices.get(deviceId);
        if (device == null) {
            throw new UpdateException("unknown-device", "no device " + deviceId + " is registered");
        }
        boolean older = published.release.sequence() > installedSequence
                && published.release.deviceClass().equals(device.deviceClass());
        if (running && older) {
            return published.offer(ROLLOUT);
        }
        UpdateAnswer.NoUpdate none = !older ? new UpdateAnswer.NoUpdate("up-to-date", null, new byte[0])
                : new UpdateAnswer.NoUpdate("no-rollout", Duration.ofMinutes(15), new byte[0]);
        return new UpdateAnswer.NoUpdate(none.reason(), none.retryAfter(),
                UpdateAnswers.tagOf(UpdateAnswers.encode(none)));
    }

    @Override
    public ReportReceipt report(byte[] signedReport) throws UpdateException {
        SignedReport parsed;
        try {
            parsed = DeviceReports.parse(signedReport);
        } catch (UpdateFormatException e) {
            throw new UpdateException("malformed", e.getMessage());
        }
        DeviceReport report = parsed.report();
        Device device = devices.get(report.deviceId());
        if (device == null) {
            throw new UpdateException("unknown-device", "no device " + report.deviceId() + " is registered");
        }
        try {
            parsed.verify(device.publicKey());
        } catch (UpdateFormatException e) {
            throw new UpdateException("bad-signature", e.getMessage());
        }
        synchronized (this) {
            if (Arrays.equals(lastReport.get(device.id()), signedReport)) {
                return new ReportReceipt(-1, true);
            }
            Long last = lastCounter.get(device.id());
            if (last != null && report.counter() <= last) {
                throw new UpdateException("stale", "report counter " + report.counter() + " of " + device.id()
                        + " is not above " + last);
            }
            lastReport.put(device.id(), signedReport.clone());
            lastCounter.put(device.id(), report.counter());
            return new ReportReceipt(ledgerIndex.getAndIncrement(), false);
        }
    }

    @Override
    public Device enroll(byte[] signedEnrollment) throws UpdateException {
        Enrollment e;
        try {
            e = Enrollments.verify(signedEnrollment);
        } catch (BadSignatureException ex) {
            // as the rollout engine (ReportIntake) answers it
            throw new UpdateException("bad-signature", ex.getMessage());
        } catch (UpdateFormatException ex) {
            throw new UpdateException("malformed", ex.getMessage());
        }
        Device existing = devices.get(e.deviceId());
        if (existing != null && !existing.publicKey().equals(e.publicKey())) {
            throw new UpdateException("exists", "device id " + e.deviceId() + " is registered with another key");
        }
        Device device = new Device(e.deviceId(), e.publicKey(), e.vendor(), e.deviceClass(), e.profile(), e.tags(),
                e.region(), e.installedVersion(), e.installedSequence(), DeviceState.IDLE, null, Instant.now());
        devices.putIfAbsent(e.deviceId(), device);
        return devices.get(e.deviceId());
    }

    @Override
    public void bytesServed(String releaseId, long bytes) {
        served.computeIfAbsent(releaseId, k -> new LongAdder()).add(bytes);
    }

    @Override
    public ConsistencyProof consistency(long firstSize, long secondSize) throws UpdateException {
        if (down) {
            throw new UpdateException("unavailable", "the ledger is not reachable");
        }
        if (firstSize < 0 || firstSize > secondSize || secondSize > published.tree.size()) {
            throw new UpdateException("bad-range", "no consistency proof from " + firstSize + " to " + secondSize
                    + " events in a log of " + published.tree.size());
        }
        return MerkleTree.consistencyProof(published.tree, firstSize, secondSize);
    }

    /** The statement key of this test platform. */
    final SigningKey statementKey = SigningKey.generate(KeyAlgorithm.ED25519);

    @Override
    public byte[] statement(String deviceId, UpdateAnswer answer, byte[] nonce) {
        Instant now = Instant.now();
        UpdateAnswer.Offer offer = answer instanceof UpdateAnswer.Offer o ? o : null;
        return AnswerStatements.sign(new AnswerStatement(deviceId, offer == null ? null : offer.rolloutId(),
                offer == null ? null : offer.release().id(), nonce, now, now.plusSeconds(600)), statementKey);
    }

    @Override
    public String statementKey() {
        return statementKey.did();
    }
}
