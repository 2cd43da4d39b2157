package org.updraft.rollout.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.ledger.ReleaseAnchors;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.ReportReceipt;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.api.update.UpdateService;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.update.BadSignatureException;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateAnswers;
import org.updraft.core.update.UpdateFormatException;

/**
 * What every transport asks: update decisions, signed reports and enrollments. Decisions come from the
 * rollouts as replayed from the ledger (caught up before every decision, since other nodes append too) and
 * the device registry. Every first offer of a rollout to a device, every report and every enrollment is
 * appended to the ledger before it takes effect.
 *
 * <p>Rules of {@link #check}: the device's vendor and class have a running rollout whose target takes the
 * device into the current or an earlier wave; the release is newer than what the device runs, for its vendor,
 * class and profile, and its signer is not revoked; the wave's time window is open and its download cap not
 * reached. A paused or completed rollout keeps serving the devices it already offered the release to that have
 * not finished (so a download in progress completes) and offers it to no one new; a cancelled one serves no
 * one. A device whose update failed or rolled back in a rollout is not offered that rollout's release again.
 *
 * <p>When a {@link ReleaseAnchors} service is there (a ledger that anchors releases on a blockchain), an offer
 * carries where its release is on chain, for auditors. The chain is asked in the background, never during a
 * check: an offer made before the anchor is known goes without, and is replaced (its listeners told) once found.
 */
@Component(service = UpdateService.class, configurationPid = PlatformUpdateService.PID)
@Designate(ocd = PlatformUpdateService.Config.class)
public final class PlatformUpdateService implements UpdateService {

    /** Configuration PID: etc/org.updraft.update.cfg. */
    public static final String PID = "org.updraft.update";

    @ObjectClassDefinition(name = "Updraft update service",
            description = "Update decisions, device reports and enrollments for every transport.")
    public @interface Config {
        @AttributeDefinition(name = "Release anchors", description = "Filter choosing where offers learn that "
                + "their release is on a blockchain (e.g. (ledger.kind=evm)); any such service by default, and "
                + "offers carry no anchor when there is none.")
        String anchors_target() default "(objectClass=*)";

        @AttributeDefinition(name = "Anchor lookup interval (seconds)",
                description = "How often the chain is asked again about a release not found anchored yet.")
        long anchor_retry_seconds() default 15;

        @AttributeDefinition(name = "Silent download timeout (seconds)",
                description = "How long a device that was offered a release, or reported progress, keeps its "
                        + "download slot under a wave's cap without reporting anything.")
        long offer_timeout_seconds() default 600;

        @AttributeDefinition(name = "Retry after download cap (seconds)",
                description = "When a device over its wave's download cap should check again.")
        long cap_retry_seconds() default 30;

        @AttributeDefinition(name = "Retry while waiting (seconds)",
                description = "When a device of a paused rollout, or of a wave not started yet, should check again.")
        long wait_retry_seconds() default 600;

        @AttributeDefinition(name = "Wave members refresh (seconds)",
                description = "How long a read of a rollout's target devices from the registry is used.")
        long members_refresh_seconds() default 60;
    }

    /** What a device needs to check a release offline; the same for every device, so kept per release. */
    private record OfferMaterial(byte[] event, InclusionProof proof, Checkpoint checkpoint) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(PlatformUpdateService.class);

    private final RolloutEngine engine;
    private final ReleaseService releases;
    private final TrustStore trust;
    private final Duration offerTimeout;
    private final Duration capRetry;
    private final Duration waitRetry;
    private final List<UpdateListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, OfferMaterial> materials = new ConcurrentHashMap<>();
    private final Map<String, UpdateAnswer.Offer> offers = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> served = new ConcurrentHashMap<>();
    /** First offers decided but not yet replayed from the ledger, per rollout and wave: they take download slots. */
    private final Map<String, Integer> appending = new java.util.HashMap<>();
    /** Per-device locks (striped): one decision and its append at a time per device. */
    private final Object[] deviceLocks = new Object[256];

    {
        for (int i = 0; i < deviceLocks.length; i++) {
            deviceLocks[i] = new Object();
        }
    }
    private final AtomicReference<ReleaseAnchors> anchors = new AtomicReference<>();
    /** Anchors found, per release id: a release recorded on chain stays where it is. */
    private final Map<String, ReleaseAnchor> anchorsFound = new ConcurrentHashMap<>();
    /** When the chain was last asked about a release not found yet (System.nanoTime). */
    private final Map<String, Long> anchorAsked = new ConcurrentHashMap<>();
    private final long anchorRetryNanos;
    /** One background lookup at a time; no thread while there is nothing to look up. */
    private final ExecutorService anchorLookups = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "updraft-release-anchors");
                t.setDaemon(true);
                return t;
            });

    @Activate
    public PlatformUpdateService(Config config, @Reference(name = "ledger", target = Ledger.SELECTED) Ledger ledger,
            @Reference(name = "trust", target = TrustStore.SELECTED) TrustStore trust,
            @Reference(name = "releases") ReleaseService releases,
            @Reference(name = "registry", target = DeviceRegistry.SELECTED) DeviceRegistry registry) {
        this(config, ledger, trust, releases, registry, Clock.systemUTC());
    }

    PlatformUpdateService(Config config, Ledger ledger, TrustStore trust, ReleaseService releases,
            DeviceRegistry registry, Clock clock) {
        this.releases = releases;
        this.trust = trust;
        this.offerTimeout = Duration.ofSeconds(Math.max(1, config.offer_timeout_seconds()));
        this.capRetry = Duration.ofSeconds(Math.max(1, config.cap_retry_seconds()));
        this.waitRetry = Duration.ofSeconds(Math.max(1, config.wait_retry_seconds()));
        this.anchorRetryNanos = Duration.ofSeconds(Math.max(1, config.anchor_retry_seconds())).toNanos();
        this.engine = new RolloutEngine(ledger, registry, clock,
                Duration.ofSeconds(Math.max(1, config.members_refresh_seconds())));
        // the ledger's backend may start after this service: the engine catches up at the first call then
        try {
            engine.catchUp();
            LOG.info("Update service ready: {} rollouts from {} ledger events", engine.book().rollouts().size(),
                    engine.book().followed());
        } catch (LedgerException e) {
            LOG.info("Update service ready; it reads the ledger once it can: {}", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() {
        anchorLookups.shutdownNow();
    }

    @Reference(name = "anchors", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAnchors(ReleaseAnchors service) {
        anchors.set(service);
        anchorAsked.clear(); // a new source: ask it at once
    }

    void unbindAnchors(ReleaseAnchors service) {
        anchors.compareAndSet(service, null);
    }

    @Reference(name = "listener", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(UpdateListener listener) {
        listeners.add(listener);
    }

    void removeListener(UpdateListener listener) {
        listeners.remove(listener);
    }

    @Override
    public UpdateAnswer check(String deviceId, long installedSequence) throws UpdateException {
        Device device = findDevice(deviceId);
        Instant now = engine.now();
        try {
            engine.registry.recordSeen(deviceId, now);
        } catch (RegistryException e) {
            LOG.debug("Could not record that {} was seen: {}", deviceId, e.getMessage());
        }
        UpdateAnswer answer;
        try {
            synchronized (deviceLock(deviceId)) {
                Decision d;
                synchronized (engine) {
                    engine.catchUp();
                    d = decide(device, installedSequence, now);
                }
                answer = d.answer() != null ? d.answer() : firstOffer(d);
            }
        } catch (LedgerException e) {
            throw unavailable("the ledger", e);
        } catch (RegistryException e) {
            throw unavailable("the device registry", e);
        } finally {
            notifyListeners();
        }
        return answer;
    }

    /**
     * What {@link #decide} found: an answer, or a first offer still to be appended (the answer is then null; the
     * offer counts against its wave's download cap from the decision on, see {@link #appending}).
     */
    private record Decision(UpdateAnswer answer, RolloutRecord rollout, Release release, int wave, LedgerEvent offer) {
        static Decision of(UpdateAnswer answer) {
            return new Decision(answer, null, null, -1, null);
        }
    }

    /**
     * Appends a first offer outside the engine's lock, so that the first offers (and reports) of many devices
     * share one fsync of the ledger (its group commit) instead of queueing one fsync each behind the lock; the
     * device's own lock keeps its decision and append together. Then the offer is replayed and made.
     */
    private UpdateAnswer firstOffer(Decision d) throws LedgerException {
        String slot = d.rollout().id() + "/" + d.wave();
        boolean appended = false;
        try {
            engine.ledger.append(d.offer());
            appended = true;
        } finally {
            if (!appended) {
                synchronized (engine) {
                    appending.merge(slot, -1, Integer::sum);
                }
            }
        }
        synchronized (engine) {
            try {
                engine.catchUp();
            } finally {
                appending.merge(slot, -1, Integer::sum); // replayed: the offer now counts itself
            }
            return offer(d.rollout(), d.release());
        }
    }

    /** Under the engine's lock, caught up. */
    private Decision decide(Device device, long installedSequence, Instant now)
            throws LedgerException, RegistryException, UpdateException {
        RolloutRecord r = rolloutFor(device);
        if (r == null) {
            return Decision.of(none("no-rollout", null));
        }
        Release release = releases.find(r.releaseId()).orElse(null);
        if (release == null || !release.vendor().equals(device.vendor())
                || !release.deviceClass().equals(device.deviceClass())
                || release.profile() != null && !release.profile().equals(device.profile())) {
            return Decision.of(none("no-rollout", null));
        }
        if (release.sequence() <= installedSequence) {
            return Decision.of(none("up-to-date", null));
        }
        if (revokedOrUnknown(release.signer())) {
            return Decision.of(none("signer-revoked", null));
        }
        RolloutRecord.OfferState offered = r.offer(device.id());
        if (offered != null && offered.latest != null && offered.latest.isFailure()) {
            return Decision.of(none("failed", null));
        }
        boolean unfinished = offered != null && !offered.isFinal();
        if (r.state() != RolloutState.RUNNING) {
            if (unfinished) {
                return Decision.of(offer(r, release)); // paused or completed: a download in progress may finish
            }
            return Decision.of(r.state() == RolloutState.PAUSED ? none("paused", waitRetry) : none("no-rollout", null));
        }
        int wave = offered != null ? offered.wave : engine.waveOf(r, device.id());
        if (wave < 0) {
            return Decision.of(none("no-rollout", null));
        }
        if (wave > r.currentWave()) {
            return Decision.of(none("not-in-wave", waitRetry));
        }
        WaveSpec spec = r.waves().get(wave);
        if (spec.window() != null && !spec.window().contains(now)) {
            return Decision.of(none("outside-window", untilOpen(spec.window(), now)));
        }
        String slot = r.id() + "/" + wave;
        if (!unfinished && spec.maxConcurrentDownloads() > 0 && r.downloadsInFlight(wave, now, offerTimeout)
                + appending.getOrDefault(slot, 0) >= spec.maxConcurrentDownloads()) {
            return Decision.of(none("download-cap", capRetry));
        }
        if (offered == null) {
            byte[] payload = RolloutEvents.offered(new RolloutEvents.Offered(r.id(), device.id(), r.releaseId(), wave));
            appending.merge(slot, 1, Integer::sum);
            return new Decision(null, r, release, wave,
                    new LedgerEvent(EventTypes.ROLLOUT_OFFERED, now, engine.ledger.logKey(), payload, null));
        }
        return Decision.of(offer(r, release));
    }

    /**
     * The rollout that speaks for the device's class: the one neither completed nor cancelled (there is at most
     * one per class), else the newest completed one that still has the device's download unfinished.
     */
    private RolloutRecord rolloutFor(Device device) {
        RolloutRecord active = engine.book().activeFor(device.vendor(), device.deviceClass());
        if (active != null) {
            return active.state() == RolloutState.DRAFT ? null : active;
        }
        List<RolloutRecord> all = engine.book().rollouts();
        for (int i = all.size() - 1; i >= 0; i--) {
            RolloutRecord r = all.get(i);
            if (r.state() == RolloutState.COMPLETED && r.vendor().equals(device.vendor())
                    && r.deviceClass().equals(device.deviceClass())) {
                RolloutRecord.OfferState o = r.offer(device.id());
                return o != null && !o.isFinal() ? r : null;
            }
        }
        return null;
    }

    private UpdateAnswer.Offer offer(RolloutRecord r, Release release) throws LedgerException {
        UpdateAnswer.Offer cached = offers.get(r.id());
        if (cached != null) {
            if (cached.anchor() == null) {
                lookUpAnchor(release.id());
            }
            return cached;
        }
        OfferMaterial m = material(release);
        ReleaseAnchor anchor = anchorsFound.get(release.id());
        if (anchor == null) {
            lookUpAnchor(release.id());
        }
        UpdateAnswer.Offer untagged = new UpdateAnswer.Offer(r.id(), release, m.event(), m.proof(), m.checkpoint(),
                anchor, new byte[0]);
        UpdateAnswer.Offer offer = new UpdateAnswer.Offer(r.id(), release, m.event(), m.proof(), m.checkpoint(),
                anchor, UpdateAnswers.tagOf(UpdateAnswers.encode(untagged)));
        offers.put(r.id(), offer);
        return offer;
    }

    /**
     * Asks the chain in the background where the release is, at most once per interval per release; once found,
     * the offers of that release are made again with it (a new answer, so their listeners are told).
     */
    private void lookUpAnchor(String releaseId) {
        ReleaseAnchors source = anchors.get();
        if (source == null || anchorsFound.containsKey(releaseId)) {
            return;
        }
        long now = System.nanoTime();
        Long last = anchorAsked.get(releaseId);
        if (last != null && now - last < anchorRetryNanos || !claimLookup(releaseId, last, now)) {
            return;
        }
        try {
            anchorLookups.execute(() -> findAnchor(source, releaseId));
        } catch (RejectedExecutionException e) {
            LOG.debug("No anchor lookup for {}: the service is stopping", releaseId);
        }
    }

    /** Claims the lookup slot of a release (one thread wins when several checks race). */
    private boolean claimLookup(String releaseId, Long last, long now) {
        return last == null ? anchorAsked.putIfAbsent(releaseId, now) == null
                : anchorAsked.replace(releaseId, last, now);
    }

    private void findAnchor(ReleaseAnchors source, String releaseId) {
        ReleaseAnchor anchor;
        try {
            anchor = source.find(releaseId).orElse(null);
        } catch (LedgerException | RuntimeException e) {
            LOG.debug("Where release {} is on chain is unknown for now: {}", releaseId, e.getMessage());
            return;
        }
        if (anchor == null) {
            return;
        }
        List<String> changed = new ArrayList<>();
        synchronized (engine) { // offers are made under this lock: none is cached without the anchor after this
            anchorsFound.put(releaseId, anchor);
            anchorAsked.remove(releaseId);
            offers.values().removeIf(o -> {
                boolean stale = o.release().id().equals(releaseId) && o.anchor() == null;
                if (stale) {
                    changed.add(o.rolloutId());
                }
                return stale;
            });
        }
        LOG.info("Release {} is in block {} of chain {} (transaction {}, log {})", releaseId, anchor.blockNumber(),
                anchor.chainId(), anchor.transactionHash(), anchor.logIndex());
        changed.forEach(this::tellListeners);
    }

    /** The release's anchor when it has been found, for tests and status. */
    ReleaseAnchor anchorOf(String releaseId) {
        return anchorsFound.get(releaseId);
    }

    /**
     * The release event, its inclusion proof and a checkpoint that covers it: the oldest checkpoint the log
     * already issued over it, or a new one when none did. Never one checkpoint per check.
     */
    private OfferMaterial material(Release release) throws LedgerException {
        OfferMaterial m = materials.get(release.id());
        if (m != null) {
            return m;
        }
        long index = release.ledgerIndex();
        byte[] event = LedgerEventCodec.encode(engine.ledger.get(index).event());
        List<Checkpoint> covering = engine.ledger.checkpoints(index + 1, 1);
        Checkpoint checkpoint = covering.isEmpty() ? engine.ledger.checkpoint() : covering.get(0);
        InclusionProof proof = engine.ledger.inclusionProof(index, checkpoint.treeSize());
        m = new OfferMaterial(event, proof, checkpoint);
        materials.put(release.id(), m);
        return m;
    }

    private static UpdateAnswer.NoUpdate none(String reason, Duration retryAfter) {
        UpdateAnswer.NoUpdate untagged = new UpdateAnswer.NoUpdate(reason, retryAfter, new byte[0]);
        return new UpdateAnswer.NoUpdate(reason, retryAfter, UpdateAnswers.tagOf(UpdateAnswers.encode(untagged)));
    }

    /** Time until the window next opens (the device is outside it now). */
    static Duration untilOpen(TimeWindow window, Instant now) {
        LocalDate today = now.atZone(ZoneOffset.UTC).toLocalDate();
        Instant opens = today.atTime(window.from()).toInstant(ZoneOffset.UTC);
        if (!opens.isAfter(now)) {
            opens = today.plusDays(1).atTime(window.from()).toInstant(ZoneOffset.UTC);
        }
        return Duration.between(now, opens);
    }

    @Override
    public ReportReceipt report(byte[] signedReport) throws UpdateException {
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
        Device device = findDevice(report.deviceId());
        try {
            signed.verify(device.publicKey());
        } catch (UpdateFormatException e) {
            throw new UpdateException("bad-signature", e.getMessage());
        }
        ReportReceipt receipt = null;
        try {
            // The device's lock keeps its counter check and its append together; the append itself is outside the
            // engine's lock, so that the reports of many devices share one fsync (the ledger's group commit).
            synchronized (deviceLock(device.id())) {
                RolloutRecord r;
                RolloutRecord.OfferState offered;
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
                    r = report.rolloutId() != null ? engine.book().rollout(report.rolloutId())
                            : engine.book().offeringRollout(device.id(), report.releaseId());
                    offered = r == null ? null : r.offer(device.id());
                    if (receipt == null && (offered == null || !r.releaseId().equals(report.releaseId()))) {
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
                        engine.evaluate(r, report.state().isFailure() ? offered.wave : -1);
                    }
                }
            }
            // after the ledger: a retransmission records it again, in case the registry failed the first time
            recordState(device, report);
        } catch (LedgerException e) {
            throw unavailable("the ledger", e);
        } catch (RegistryException e) {
            throw unavailable("the device registry", e);
        } finally {
            notifyListeners();
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

    @Override
    public Device enroll(byte[] signedEnrollment) throws UpdateException {
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
            engine.ledger.append(new LedgerEvent(EventTypes.DEVICE_ENROLLED, engine.now(), e.publicKey(),
                    signedEnrollment, null));
            Device registered = engine.registry.register(device);
            LOG.info("Device {} ({}/{}) enrolled itself", device.id(), device.vendor(), device.deviceClass());
            return registered;
        } catch (RegistryException ex) {
            if ("exists".equals(ex.code())) {
                throw new UpdateException("exists", "device id " + e.deviceId() + " was registered meanwhile");
            }
            if ("invalid".equals(ex.code())) {
                throw new UpdateException("malformed", ex.getMessage());
            }
            throw unavailable("the device registry", ex);
        } catch (LedgerException ex) {
            throw unavailable("the ledger", ex);
        }
    }

    @Override
    public void bytesServed(String releaseId, long bytes) {
        if (releaseId != null && bytes > 0) {
            served.computeIfAbsent(releaseId, k -> new LongAdder()).add(bytes);
        }
    }

    /** Image bytes of the release served since this service started. */
    long bytesServedFor(String releaseId) {
        LongAdder a = served.get(releaseId);
        return a == null ? 0 : a.sum();
    }

    private Object deviceLock(String deviceId) {
        return deviceLocks[(deviceId.hashCode() & 0x7fffffff) % deviceLocks.length];
    }

    private Device findDevice(String deviceId) throws UpdateException {
        if (deviceId == null || deviceId.isEmpty()) {
            throw new UpdateException("malformed", "no device id");
        }
        try {
            return engine.registry.find(deviceId).orElseThrow(() -> new UpdateException("unknown-device",
                    "device " + deviceId + " is not registered"));
        } catch (RegistryException e) {
            throw unavailable("the device registry", e);
        }
    }

    private boolean revokedOrUnknown(String signer) throws UpdateException {
        try {
            return trust.find(signer).map(k -> k.status() == KeyStatus.REVOKED).orElse(true);
        } catch (TrustException e) {
            throw unavailable("the trust store", e);
        }
    }

    private static UpdateException unavailable(String what, Exception e) {
        return new UpdateException("unavailable", what + " is unavailable: " + e.getMessage(), e);
    }

    private void notifyListeners() {
        Set<String> changed = engine.drainChanged();
        for (String id : changed) {
            offers.remove(id);
            tellListeners(id);
        }
    }

    private void tellListeners(String rolloutId) {
        for (UpdateListener l : listeners) {
            try {
                l.answersChanged(rolloutId);
            } catch (RuntimeException e) {
                LOG.warn("Update listener {} failed on rollout {}: {}", l, rolloutId, e.toString());
            }
        }
    }
}
