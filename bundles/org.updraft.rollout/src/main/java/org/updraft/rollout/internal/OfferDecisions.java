package org.updraft.rollout.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.AppendCondition;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.TimeWindow;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.update.UpdateAnswers;

/**
 * What a device should install: the decisions behind {@code UpdateService.check}, from the rollouts as the engine
 * replayed them (caught up before every decision, since other nodes append too) and the device registry.
 *
 * <p>Rules: the device's vendor and class have a running rollout whose target takes the device into the current or
 * an earlier wave; the release is newer than what the device runs, for its vendor, class and profile, and its
 * signer is not revoked; the wave's time window is open and its download cap not reached. A paused or completed
 * rollout keeps serving the devices it already offered the release to that have not finished (so a download in
 * progress completes) and offers it to no one new; a cancelled one serves no one. A device whose update failed or
 * rolled back in a rollout is not offered that rollout's release again. Every first offer of a rollout to a device
 * is appended to the ledger before it is made.
 *
 * <p>An offer carries a recorded delta to its release when the device runs that delta's base and its class accepts
 * the codec ({@link DeltaChoice}); the device may take the patch or the full image.
 *
 * <p>An offer carries where its release is on chain once {@link AnchorLookup} found it: an offer made before goes
 * without, and is made again (its listeners told) once the anchor is found.
 */
final class OfferDecisions {

    private static final Logger LOG = LoggerFactory.getLogger(OfferDecisions.class);

    /**
     * What a device needs to check a release offline; the same for every device, so kept per release until the
     * vendor's trust changes.
     */
    private record OfferMaterial(byte[] event, InclusionProof proof, Checkpoint checkpoint,
            List<UpdateAnswer.TrustChange> trustChanges, long trustVersion) {
    }

    /**
     * The offer of a rollout as made for the rollout's state at a ledger index: any change of the rollout (or a
     * replay of another log, which makes new records) makes it be made again.
     */
    private record CachedOffer(RolloutRecord rollout, long stateIndex, long trustVersion, UpdateAnswer.Offer offer) {
        boolean madeFor(RolloutRecord r, long trust) {
            return rollout == r && stateIndex == r.ledgerIndex() && trustVersion == trust;
        }
    }

    /**
     * What {@link #decide} found: an answer, or a first offer still to be appended (the answer is then null; the
     * offer counts against its wave's download cap from the decision on, see {@link RolloutEngine#offerDecided}).
     */
    private record Decision(UpdateAnswer answer, RolloutRecord rollout, Release release, Delta delta, int wave,
            LedgerEvent offer, AppendCondition slots) {
        static Decision of(UpdateAnswer answer) {
            return new Decision(answer, null, null, null, -1, null, null);
        }
    }

    /**
     * How often a device's first offer under a download cap is decided again when other nodes' offers took the
     * slots it was decided on, before it is told to come back (a wave that busy is full or nearly so).
     */
    private static final int CAP_ATTEMPTS = 4;

    private final RolloutEngine engine;
    private final ReleaseService releases;
    private final TrustStore trust;
    private final AnchorLookup anchors;
    private final DeltaChoice deltas;
    private final Duration offerTimeout;
    private final Duration capRetry;
    private final Duration waitRetry;
    private final Map<String, OfferMaterial> materials = new ConcurrentHashMap<>();
    /** Per rollout id and offered patch ({@link #offerKey}); made and read under the engine's lock. */
    private final Map<String, CachedOffer> offers = new ConcurrentHashMap<>();

    /**
     * @param offerTimeout how long a silent offered device keeps its download slot
     * @param capRetry when a device over its wave's download cap should check again
     * @param waitRetry when a device of a paused rollout, or of a wave not started yet, should check again
     */
    OfferDecisions(RolloutEngine engine, ReleaseService releases, TrustStore trust, AnchorLookup anchors,
            DeltaChoice deltas, Duration offerTimeout, Duration capRetry, Duration waitRetry) {
        this.engine = engine;
        this.releases = releases;
        this.trust = trust;
        this.anchors = anchors;
        this.deltas = deltas;
        this.offerTimeout = offerTimeout;
        this.capRetry = capRetry;
        this.waitRetry = waitRetry;
    }

    /** @param authenticated whether the transport proved the request is the device's (see UpdateService.check) */
    UpdateAnswer check(String deviceId, long installedSequence, boolean authenticated) throws UpdateException {
        Device device = UpdateRefusals.registered(engine.registry, deviceId);
        Instant now = engine.now();
        try {
            engine.registry.recordSeen(deviceId, now);
        } catch (RegistryException e) {
            LOG.debug("Could not record that {} was seen: {}", deviceId, e.getMessage());
        }
        UpdateAnswer answer;
        try {
            synchronized (engine.deviceLock(deviceId)) {
                answer = null;
                for (int attempt = 0; answer == null; attempt++) {
                    Decision d;
                    synchronized (engine) {
                        engine.catchUp();
                        d = decide(device, installedSequence, now, authenticated);
                    }
                    answer = d.answer() != null ? d.answer() : firstOffer(d, deviceId);
                    if (answer == null && attempt + 1 >= CAP_ATTEMPTS) {
                        answer = none("download-cap", capRetry);
                    }
                }
            }
        } catch (LedgerException e) {
            throw UpdateRefusals.unavailable("the ledger", e);
        } catch (RegistryException e) {
            throw UpdateRefusals.unavailable("the device registry", e);
        } finally {
            engine.tellListeners();
        }
        return answer;
    }

    /**
     * Appends a first offer outside the engine's lock, so that the first offers (and reports) of many devices
     * share one fsync of the ledger (its group commit) instead of queueing one fsync each behind the lock; the
     * device's own lock keeps its decision and append together. Then the offer is replayed and made.
     *
     * @return the offer, or {@code null} when the wave's slots were taken by other nodes since the decision (a
     *         shared ledger refused the append): decide again
     */
    private UpdateAnswer firstOffer(Decision d, String deviceId) throws LedgerException {
        String slot = d.rollout().id() + "/" + d.wave();
        boolean appended = false;
        try {
            Optional<DecisionLeases> shared = d.slots() == null ? Optional.empty() : engine.ledger.decisions();
            if (shared.isPresent()) {
                if (shared.get().appendDecision(d.offer(), d.slots()).isEmpty()) {
                    return null; // finally: no longer counted as being appended
                }
            } else {
                engine.ledger.append(d.offer());
            }
            appended = true;
        } finally {
            if (!appended) {
                engine.offerReplayed(slot, deviceId);
            }
        }
        synchronized (engine) {
            try {
                engine.catchUp();
            } finally {
                engine.offerReplayed(slot, deviceId); // replayed: the book counts the offer now
            }
            return offer(d.rollout(), d.release(), d.delta());
        }
    }

    /** Under the engine's lock, caught up. */
    private Decision decide(Device device, long installedSequence, Instant now, boolean authenticated)
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
        Delta delta = deltas.choose(engine.book().deltasTo(release.id()), device, installedSequence);
        if (r.state() != RolloutState.RUNNING) {
            if (unfinished) {
                return Decision.of(offer(r, release, delta)); // paused or completed: a download in progress may finish
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
                + engine.offersBeingAppended(r, slot) >= spec.maxConcurrentDownloads()) {
            return Decision.of(none("download-cap", capRetry));
        }
        if (offered == null && !authenticated) {
            // whoever names the device may have sent this: the offer is recorded, but takes no download slot
            // (RolloutRecord) until the device's own signed report
            byte[] payload = RolloutEvents.offered(new RolloutEvents.Offered(r.id(), device.id(), r.releaseId(), wave,
                    delta == null ? null : delta.patch().toString(), true));
            return new Decision(null, r, release, delta, wave,
                    new LedgerEvent(EventTypes.ROLLOUT_OFFERED, now, engine.ledger.logKey(), payload, null), null);
        }
        if (offered == null) {
            byte[] payload = RolloutEvents.offered(new RolloutEvents.Offered(r.id(), device.id(), r.releaseId(), wave,
                    delta == null ? null : delta.patch().toString()));
            // other nodes hand out the wave's slots too: the offer is appended only if, of the slots free in this
            // view of the ledger, one is left after the offers appended since (this node's own included)
            AppendCondition slots = null;
            if (spec.maxConcurrentDownloads() > 0 && engine.ledger.decisions().isPresent()) {
                int free = spec.maxConcurrentDownloads() - r.downloadsInFlight(wave, now, offerTimeout);
                slots = new AppendCondition(RolloutEngine.offersKey(slot), engine.book().followed(), free - 1, null);
            }
            engine.offerDecided(slot, device.id());
            return new Decision(null, r, release, delta, wave,
                    new LedgerEvent(EventTypes.ROLLOUT_OFFERED, now, engine.ledger.logKey(), payload, null), slots);
        }
        return Decision.of(offer(r, release, delta));
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

    /**
     * Under the engine's lock. The offer of a rollout is the same for every device but for its delta: one cached
     * offer per rollout and offered patch.
     */
    private UpdateAnswer.Offer offer(RolloutRecord r, Release release, Delta delta) throws LedgerException {
        String key = offerKey(r, delta);
        CachedOffer cached = offers.get(key);
        if (cached != null && cached.madeFor(r, engine.book().trustVersion())) {
            if (cached.offer().anchor() == null) {
                anchors.lookUp(release.id());
            }
            return cached.offer();
        }
        OfferMaterial m = material(release);
        ReleaseAnchor anchor = anchors.anchorOf(release.id());
        if (anchor == null) {
            anchors.lookUp(release.id());
        }
        UpdateAnswer.Offer untagged = new UpdateAnswer.Offer(r.id(), release, m.event(), m.proof(), m.checkpoint(),
                anchor, new byte[0], delta, m.trustChanges());
        UpdateAnswer.Offer offer = new UpdateAnswer.Offer(r.id(), release, m.event(), m.proof(), m.checkpoint(),
                anchor, UpdateAnswers.tagOf(UpdateAnswers.encode(untagged)), delta, m.trustChanges());
        offers.put(key, new CachedOffer(r, r.ledgerIndex(), m.trustVersion(), offer));
        return offer;
    }

    private static String offerKey(RolloutRecord r, Delta delta) {
        return delta == null ? r.id() : r.id() + " " + delta.patch();
    }

    /**
     * The release's anchor was found: kept, and the offers made without it are made again with it (a new answer,
     * so their listeners are told).
     */
    void anchorFound(String releaseId, ReleaseAnchor anchor) {
        List<String> changed = new ArrayList<>();
        synchronized (engine) { // offers are made under this lock: none is cached without the anchor after this
            anchors.keep(releaseId, anchor);
            offers.values().removeIf(c -> {
                boolean stale = c.offer().release().id().equals(releaseId) && c.offer().anchor() == null;
                if (stale) {
                    changed.add(c.offer().rolloutId());
                }
                return stale;
            });
        }
        changed.forEach(engine::tellListeners);
    }

    /**
     * Under the engine's lock. The release event, the trust changes of its vendor's keys
     * ({@link RolloutBook#trustChangesFor}), their inclusion proofs and a checkpoint that covers them all: the oldest
     * checkpoint the log already issued over them, or a new one when none did. Never one checkpoint per check.
     */
    private OfferMaterial material(Release release) throws LedgerException {
        long trustVersion = engine.book().trustVersion();
        OfferMaterial m = materials.get(release.id());
        if (m != null && m.trustVersion() == trustVersion) {
            return m;
        }
        long index = release.ledgerIndex();
        List<Long> changes = engine.book().trustChangesFor(release.vendor(), release.signer(),
                UpdateAnswers.MAX_TRUST_CHANGES);
        long newest = changes.isEmpty() ? index : Math.max(index, changes.get(changes.size() - 1));
        byte[] event = LedgerEventCodec.encode(engine.ledger.get(index).event());
        List<Checkpoint> covering = engine.ledger.checkpoints(newest + 1, 1);
        Checkpoint checkpoint = covering.isEmpty() ? engine.ledger.checkpoint() : covering.get(0);
        InclusionProof proof = engine.ledger.inclusionProof(index, checkpoint.treeSize());
        List<UpdateAnswer.TrustChange> trust = new ArrayList<>();
        for (long change : changes) {
            trust.add(new UpdateAnswer.TrustChange(LedgerEventCodec.encode(engine.ledger.get(change).event()),
                    engine.ledger.inclusionProof(change, checkpoint.treeSize())));
        }
        m = new OfferMaterial(event, proof, checkpoint, trust, trustVersion);
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

    private boolean revokedOrUnknown(String signer) throws UpdateException {
        try {
            return trust.find(signer).map(k -> k.status() == KeyStatus.REVOKED).orElse(true);
        } catch (TrustException e) {
            throw UpdateRefusals.unavailable("the trust store", e);
        }
    }
}
