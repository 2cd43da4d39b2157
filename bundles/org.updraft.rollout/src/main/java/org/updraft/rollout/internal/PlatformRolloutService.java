package org.updraft.rollout.internal;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustStore;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.update.DeviceIds;

/**
 * Creates and steers rollouts. Every change is appended to the ledger as a {@code rollout.created} or
 * {@code rollout.changed} event (actor: the platform's log key, the operator named in the payload) and takes
 * effect by being replayed, so several platform nodes sharing the ledger agree; a change that lost a race
 * with another node is refused as {@code conflict} and changes nothing.
 */
@Component(service = RolloutService.class)
public final class PlatformRolloutService implements RolloutService {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformRolloutService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RolloutEngine engine;
    private final ReleaseService releases;
    private final TrustStore trust;

    @Activate
    public PlatformRolloutService(@Reference(name = "engine") RolloutEngineComponent engine,
            @Reference(name = "releases") ReleaseService releases,
            @Reference(name = "trust", target = TrustStore.SELECTED) TrustStore trust) {
        this.engine = engine.engine();
        this.releases = releases;
        this.trust = trust;
    }

    @Override
    public Rollout create(RolloutSpec spec, String actor) throws RolloutException {
        String by = operator(actor);
        Release release = releases.find(spec.releaseId()).orElseThrow(() -> new RolloutException("unknown-release",
                "release " + spec.releaseId() + " is not published"));
        if (revokedOrUnknown(release.signer())) {
            throw new RolloutException("invalid", "release " + release.id() + " is signed by " + release.signer()
                    + ", which is not trusted (revoked or unknown)");
        }
        DeviceFilter target = narrow(spec.target(), release);
        checkWaves(spec.waves());
        synchronized (engine) {
            catchUp();
            RolloutRecord active = engine.book().activeFor(release.vendor(), release.deviceClass());
            if (active != null) {
                throw new RolloutException("conflict", "rollout " + active.id() + " of " + active.releaseId() + " is "
                        + RolloutEvents.stateName(active.state()) + "; complete or cancel it before a new rollout of "
                        + release.vendor() + "/" + release.deviceClass());
            }
            String id;
            do {
                byte[] b = new byte[4];
                RANDOM.nextBytes(b);
                id = "r-" + HexFormat.of().formatHex(b);
            } while (engine.book().rollout(id) != null);
            byte[] payload = RolloutEvents.created(new RolloutEvents.Created(id, release.id(), target, spec.waves(), by));
            append(EventTypes.ROLLOUT_CREATED, payload);
            catchUp();
            RolloutRecord r = engine.book().rollout(id);
            LOG.info("Rollout {} of {} created by {}: {} waves", id, release.id(), by, spec.waves().size());
            return r.toRollout();
        }
    }

    /** The operator's target, narrowed to the release's vendor, class and profile; a contradiction is refused. */
    private static DeviceFilter narrow(DeviceFilter target, Release release) throws RolloutException {
        checkSame("vendor", target.vendor(), release.vendor(), release);
        checkSame("device class", target.deviceClass(), release.deviceClass(), release);
        DeviceFilter narrowed = target.withVendor(release.vendor()).withDeviceClass(release.deviceClass());
        if (release.profile() != null) {
            checkSame("profile", target.profile(), release.profile(), release);
            narrowed = narrowed.withProfile(release.profile());
        }
        return narrowed;
    }

    private static void checkSame(String what, String asked, String released, Release release) throws RolloutException {
        if (asked != null && !asked.equals(released)) {
            throw new RolloutException("invalid", "the target's " + what + " " + asked + " is not the " + what + " "
                    + released + " of release " + release.id());
        }
    }

    private static void checkWaves(List<WaveSpec> waves) throws RolloutException {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < waves.size(); i++) {
            WaveSpec w = waves.get(i);
            if (!names.add(w.name())) {
                throw new RolloutException("invalid", "two waves are named " + w.name());
            }
            if (w.selector() instanceof WaveSelector.Devices d) {
                for (String id : d.ids()) {
                    if (!DeviceIds.isValid(id)) {
                        throw new RolloutException("invalid", "wave " + w.name() + ": '" + id + "' is not a device id");
                    }
                }
            }
            if (w.selector() instanceof WaveSelector.Percent p && p.percent() >= 100 && i < waves.size() - 1) {
                throw new RolloutException("invalid", "wave " + w.name() + " takes every remaining device, so the "
                        + "waves after it would be empty");
            }
        }
    }

    @Override
    public Rollout start(String id, String actor) throws RolloutException {
        return transition(id, actor, RolloutState.DRAFT, RolloutState.RUNNING, null, "start");
    }

    @Override
    public Rollout pause(String id, String actor, String reason) throws RolloutException {
        return transition(id, actor, RolloutState.RUNNING, RolloutState.PAUSED,
                reason == null || reason.isBlank() ? "paused by " + operator(actor) : reason, "pause");
    }

    @Override
    public Rollout resume(String id, String actor) throws RolloutException {
        return transition(id, actor, RolloutState.PAUSED, RolloutState.RUNNING, null, "resume");
    }

    @Override
    public Rollout cancel(String id, String actor, String reason) throws RolloutException {
        return transition(id, actor, null, RolloutState.CANCELLED,
                reason == null || reason.isBlank() ? "cancelled by " + operator(actor) : reason, "cancel");
    }

    @Override
    public Rollout advance(String id, String actor) throws RolloutException {
        return transition(id, actor, RolloutState.RUNNING, null, null, "advance");
    }

    /**
     * @param from the state the rollout must be in, or {@code null} for any that is not final
     * @param to the new state, or {@code null} to advance to the next wave (completing after the last)
     */
    private Rollout transition(String id, String actor, RolloutState from, RolloutState to, String reason, String verb)
            throws RolloutException {
        String by = operator(actor);
        Rollout result;
        synchronized (engine) {
            catchUp();
            RolloutRecord r = engine.book().rollout(id);
            if (r == null) {
                throw new RolloutException("unknown-rollout", "no rollout " + id);
            }
            if (from != null ? r.state() != from : r.state().isFinal()) {
                throw new RolloutException("bad-state", "cannot " + verb + " rollout " + id + ": it is "
                        + RolloutEvents.stateName(r.state())
                        + (from != null ? ", not " + RolloutEvents.stateName(from) : ""));
            }
            RolloutState state = to;
            int wave = r.currentWave();
            if (to == null) {
                wave = r.currentWave() + 1;
                state = wave >= r.waves().size() ? RolloutState.COMPLETED : RolloutState.RUNNING;
                reason = "advanced by " + by + " from wave " + r.currentWave() + " (" + r.waves().get(r.currentWave()).name() + ")";
            }
            try {
                if (!engine.change(r, state, wave, reason, by)) {
                    throw new RolloutException("conflict", "rollout " + id + " was changed by another node meanwhile; "
                            + "it is now " + RolloutEvents.stateName(r.state()) + ", try again");
                }
                if (state == RolloutState.RUNNING) {
                    // an empty wave passes at once; thresholds may already be met (not the error threshold: an
                    // operator who resumes has seen the failures)
                    engine.evaluate(r, -1);
                }
            } catch (LedgerException e) {
                throw new RolloutException("ledger-failed", "the ledger did not record the change: " + e.getMessage(), e);
            } catch (RegistryException e) {
                throw new RolloutException("registry-failed", "the device registry failed: " + e.getMessage(), e);
            }
            result = r.toRollout();
        }
        engine.tellListeners();
        return result;
    }

    @Override
    public Optional<Rollout> find(String id) {
        synchronized (engine) {
            catchUpQuietly();
            RolloutRecord r = engine.book().rollout(id);
            return Optional.ofNullable(r == null ? null : r.toRollout());
        }
    }

    @Override
    public List<Rollout> list() {
        synchronized (engine) {
            catchUpQuietly();
            List<Rollout> all = new ArrayList<>();
            for (RolloutRecord r : engine.book().rollouts()) {
                all.add(r.toRollout());
            }
            return all;
        }
    }

    @Override
    public RolloutProgress progress(String id) throws RolloutException {
        synchronized (engine) {
            catchUp();
            RolloutRecord r = engine.book().rollout(id);
            if (r == null) {
                throw new RolloutException("unknown-rollout", "no rollout " + id);
            }
            try {
                return new RolloutProgress(r.toRollout(), engine.progress(r), engine.bytesServedFor(r.releaseId()));
            } catch (RegistryException e) {
                throw new RolloutException("registry-failed", "the device registry failed: " + e.getMessage(), e);
            }
        }
    }

    private void append(String type, byte[] payload) throws RolloutException {
        try {
            engine.ledger.append(new LedgerEvent(type, engine.now(), engine.ledger.logKey(), payload, null));
        } catch (LedgerException e) {
            throw new RolloutException("ledger-failed", "the ledger did not record the rollout: " + e.getMessage(), e);
        }
    }

    private void catchUp() throws RolloutException {
        try {
            engine.catchUp();
        } catch (LedgerException e) {
            throw new RolloutException("ledger-failed", "cannot read the ledger: " + e.getMessage(), e);
        }
    }

    private void catchUpQuietly() {
        try {
            engine.catchUp();
        } catch (LedgerException e) {
            LOG.warn("Rollouts could not read new ledger events: {}", e.getMessage());
        }
    }

    private boolean revokedOrUnknown(String signer) throws RolloutException {
        try {
            return trust.find(signer).map(k -> k.status() == KeyStatus.REVOKED).orElse(true);
        } catch (TrustException e) {
            throw new RolloutException("trust-unavailable", "cannot check the release's signer: " + e.getMessage(), e);
        }
    }

    private static String operator(String actor) {
        return actor == null || actor.isBlank() ? "operator" : actor;
    }
}
