package org.updraft.rollout.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.AppendCondition;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.listener.UpdateListener;
import org.updraft.core.event.RolloutEvents;

/**
 * This node's rollouts (a {@link RolloutBook} over the ledger, the wave members from the registry) and the one way
 * to change them: append a {@code rollout.changed} event, then replay it. One per node ({@link RolloutEngineComponent}),
 * shared by the rollout service, the update service and retention, so the ledger is replayed once.
 *
 * <p>Its lock (the engine itself) guards the book: every method that decides something catches up with the
 * ledger first, because other nodes append too. First offers and reports are appended outside that lock, under
 * the device's lock ({@link #deviceLock}), so that many devices share one fsync of the ledger; a first offer
 * decided but not replayed yet still takes its download slot ({@link #offerDecided}).
 */
final class RolloutEngine {

    /** {@code by} of changes the thresholds decided. */
    static final String PLATFORM = "platform";

    private static final Logger LOG = LoggerFactory.getLogger(RolloutEngine.class);

    final Ledger ledger;
    final DeviceRegistry registry;
    final Clock clock;
    private volatile Duration membersRefresh;
    private final RolloutBook book;
    private final Map<String, WaveMembers> members = new HashMap<>();
    private final Map<String, Instant> lastMissRefresh = new HashMap<>();
    /** First offers decided but not yet replayed from the ledger, per rollout and wave: they take download slots. */
    /** Per rollout wave ("id/wave"), the devices whose first offer is decided and not yet replayed. */
    private final Map<String, Set<String>> appending = new HashMap<>();
    /** Per-device locks (striped): one decision and its append at a time per device. */
    private final Object[] deviceLocks = new Object[256];
    /** Image bytes served per release since this node started, as the transports say. */
    private final Map<String, LongAdder> served = new ConcurrentHashMap<>();
    private final List<UpdateListener> listeners = new CopyOnWriteArrayList<>();

    RolloutEngine(Ledger ledger, DeviceRegistry registry, Clock clock, Duration membersRefresh) {
        this.ledger = ledger;
        this.registry = registry;
        this.clock = clock;
        this.membersRefresh = membersRefresh;
        this.book = new RolloutBook(ledger);
        for (int i = 0; i < deviceLocks.length; i++) {
            deviceLocks[i] = new Object();
        }
    }

    /** How long a read of a rollout's wave members is used; the next read after a change uses the new value. */
    void membersRefresh(Duration refresh) {
        this.membersRefresh = refresh;
    }

    RolloutBook book() {
        return book;
    }

    synchronized void catchUp() throws LedgerException {
        book.catchUp();
    }

    Instant now() {
        return clock.instant();
    }

    /** The wave members of a rollout, read again from the registry when the cached read is too old. */
    synchronized WaveMembers members(RolloutRecord r) throws RegistryException {
        Instant now = now();
        if (r.state().isFinal()) {
            // nothing decides on it any more: read for whoever asks (rollout-show), not kept per finished rollout
            members.remove(r.id());
            return WaveMembers.read(r, registry, now);
        }
        WaveMembers m = members.get(r.id());
        if (m == null || m.olderThan(membersRefresh, now)) {
            m = WaveMembers.read(r, registry, now);
            members.put(r.id(), m);
        }
        return m;
    }

    /**
     * The wave that takes the device; a device the cached read does not know makes the registry be read
     * again, at most every few seconds per rollout, so that newly registered devices need not wait for the
     * refresh interval.
     */
    synchronized int waveOf(RolloutRecord r, String deviceId) throws RegistryException {
        WaveMembers m = members(r);
        int w = m.waveOf(deviceId);
        if (w < 0) {
            Instant now = now();
            Instant last = lastMissRefresh.get(r.id());
            if (last == null || last.plusSeconds(5).isBefore(now)) {
                lastMissRefresh.put(r.id(), now);
                m = WaveMembers.read(r, registry, now);
                members.put(r.id(), m);
                w = m.waveOf(deviceId);
            }
        }
        return w;
    }

    /**
     * Appends a change of the rollout (compare-and-set against its latest state event) and replays it.
     *
     * @return whether it took effect; {@code false} when another node changed the rollout first
     */
    synchronized boolean change(RolloutRecord r, RolloutState state, int wave, String reason, String by)
            throws LedgerException {
        return change(r, state, wave, reason, by, null);
    }

    /**
     * As {@link #change(RolloutRecord, RolloutState, int, String, String)}; on a ledger several nodes share, the
     * event is appended only if no other change of the rollout was appended since this node's view of it, and,
     * with a {@code lease}, only while that lease is held: two nodes deciding the same append one event.
     */
    synchronized boolean change(RolloutRecord r, RolloutState state, int wave, String reason, String by, Lease lease)
            throws LedgerException {
        long after = r.ledgerIndex();
        byte[] payload = RolloutEvents.changed(new RolloutEvents.Changed(r.id(), state, wave, reason, by, after));
        LedgerEvent event = new LedgerEvent(EventTypes.ROLLOUT_CHANGED, now(), ledger.logKey(), payload, null);
        Optional<DecisionLeases> decisions = ledger.decisions();
        long index;
        if (decisions.isPresent()) {
            Optional<AppendReceipt> appended = decisions.get().appendDecision(event,
                    AppendCondition.onlyOne(stateKey(r.id()), book.followed(), lease));
            if (appended.isEmpty()) {
                book.catchUp();
                LOG.debug("Rollout {}: another node changed it first{}; not {} at wave {}", r.id(),
                        lease == null ? "" : " or lease " + lease.name() + " lapsed", RolloutEvents.stateName(state),
                        wave);
                return false;
            }
            index = appended.get().index();
        } else {
            index = ledger.append(event).index();
        }
        book.catchUp();
        boolean tookEffect = r.ledgerIndex() == index;
        if (tookEffect) {
            LOG.info("Rollout {} is {} at wave {}/{} ({}){}", r.id(), RolloutEvents.stateName(state), wave,
                    r.waves().size(), by, reason == null ? "" : ": " + reason);
            if (state.isFinal()) {
                members.remove(r.id());
                lastMissRefresh.remove(r.id());
            }
        }
        return tookEffect;
    }

    /**
     * Applies the thresholds to a running rollout: a wave whose failures exceed its error threshold pauses the
     * rollout, and so does a current wave that should advance by itself to a next one but whose failures leave
     * too few devices to reach its success threshold (failed devices are not offered the release again, so the
     * later waves would wait for ever); a current wave that reached its success threshold and advances by itself starts the next (or
     * completes the rollout), and so on while the next wave passes too (an empty wave passes at once).
     *
     * @param failedWave the wave of a device that just reported a failure, or -1: the error threshold is
     *        checked on a new failure, so that a rollout an operator resumed keeps running until the next one
     */
    synchronized void evaluate(RolloutRecord r, int failedWave) throws LedgerException, RegistryException {
        evaluate(r, failedWave, null);
    }

    /** The key of a rollout's state changes among the decisions of a shared ledger, and the name of its lease. */
    static String stateKey(String rolloutId) {
        return "rollout/" + rolloutId;
    }

    /** The key of a wave's first offers among the decisions of a shared ledger ({@code slot} is "id/wave"). */
    static String offersKey(String slot) {
        return "offers/" + slot;
    }

    /**
     * Looks at a running rollout as the node that took its last report would have: the error threshold of each
     * wave with a failure newer than the rollout's last change, then the success threshold. Run by the holder of
     * the rollout's lease at an interval, so that a decision whose trigger reached a node that died before taking
     * it is taken all the same; a decision already taken is not taken again (the thresholds no longer hold, or the
     * change's condition refuses it).
     */
    synchronized void review(RolloutRecord r, Lease lease) throws LedgerException, RegistryException {
        for (int w = 0; w < r.waves().size() && r.state() == RolloutState.RUNNING; w++) {
            if (r.lastFailure(w) > r.ledgerIndex()) {
                evaluate(r, w, lease);
            }
        }
        evaluate(r, -1, lease);
    }

    private synchronized void evaluate(RolloutRecord r, int failedWave, Lease lease)
            throws LedgerException, RegistryException {
        for (int attempt = 0; attempt < r.waves().size() + 2 && r.state() == RolloutState.RUNNING; attempt++) {
            WaveMembers m = members(r);
            if (failedWave >= 0) {
                String halt = errorExceeded(r, m, failedWave);
                if (halt == null && blocksLaterWaves(r, failedWave)) {
                    halt = successOutOfReach(r, m, failedWave);
                }
                failedWave = -1;
                if (halt != null) {
                    if (change(r, RolloutState.PAUSED, r.currentWave(), halt, PLATFORM, lease)) {
                        LOG.warn("Rollout {} paused: {}", r.id(), halt);
                    }
                    continue;
                }
            }
            int w = r.currentWave();
            if (w >= r.waves().size() || !passed(r, m, w) || !r.waves().get(w).autoAdvance()) {
                return;
            }
            boolean last = w + 1 >= r.waves().size();
            change(r, last ? RolloutState.COMPLETED : RolloutState.RUNNING, w + 1,
                    "wave " + w + " (" + r.waves().get(w).name() + ") passed: " + r.count(w, DeviceState.INSTALLED)
                            + " of " + m.members(w) + " installed",
                    PLATFORM, lease);
        }
    }

    /** Whether the wave reached its success threshold; a wave without members passes. */
    static boolean passed(RolloutRecord r, WaveMembers m, int wave) {
        int members = m.members(wave);
        return members == 0
                || r.count(wave, DeviceState.INSTALLED) * 100.0 >= r.waves().get(wave).successPercent() * members;
    }

    /** A one-line reason when the wave's failures exceed its error threshold, else {@code null}. */
    static String errorExceeded(RolloutRecord r, WaveMembers m, int wave) {
        int members = m.members(wave);
        int failures = r.failures(wave);
        WaveSpec spec = r.waves().get(wave);
        if (members == 0 || failures * 100.0 <= spec.errorPercent() * members) {
            return null;
        }
        return String.format(Locale.ROOT,
                "wave %d (%s): %d of %d devices failed (%d) or rolled back (%d), %.1f%%, above the error threshold of %s%%",
                wave, spec.name(), failures, members, r.count(wave, DeviceState.FAILED),
                r.count(wave, DeviceState.ROLLED_BACK), failures * 100.0 / members, percent(spec.errorPercent()));
    }

    /**
     * Whether the wave is the current one and should start a next wave by itself. A last wave that cannot reach
     * its threshold only never completes the rollout: its other devices are still offered the release, and a
     * pause would stop them.
     */
    private static boolean blocksLaterWaves(RolloutRecord r, int wave) {
        return wave == r.currentWave() && wave + 1 < r.waves().size() && r.waves().get(wave).autoAdvance();
    }

    /**
     * A one-line reason when so many of the wave's devices failed or rolled back that the others cannot make it
     * reach its success threshold any more, else {@code null}. Devices that join the wave later (a region's new
     * devices) could still make it pass; that is the operator's call, after a resume or an advance.
     */
    static String successOutOfReach(RolloutRecord r, WaveMembers m, int wave) {
        int members = m.members(wave);
        int failures = r.failures(wave);
        WaveSpec spec = r.waves().get(wave);
        if (members == 0 || (members - failures) * 100.0 >= spec.successPercent() * members) {
            return null;
        }
        return String.format(Locale.ROOT,
                "wave %d (%s): %d of %d devices failed (%d) or rolled back (%d), so at most %d can install: the "
                        + "success threshold of %s%% is out of reach",
                wave, spec.name(), failures, members, r.count(wave, DeviceState.FAILED),
                r.count(wave, DeviceState.ROLLED_BACK), members - failures, percent(spec.successPercent()));
    }

    synchronized List<WaveProgress> progress(RolloutRecord r) throws RegistryException {
        WaveMembers m = members(r);
        List<WaveProgress> waves = new ArrayList<>();
        for (int i = 0; i < r.waves().size(); i++) {
            String status;
            if (errorExceeded(r, m, i) != null || !r.state().isFinal() && blocksLaterWaves(r, i)
                    && successOutOfReach(r, m, i) != null) {
                status = "halted";
            } else if (r.state() == RolloutState.COMPLETED || i < r.currentWave()
                    || i == r.currentWave() && r.state() != RolloutState.DRAFT && passed(r, m, i)) {
                status = "passed";
            } else if (i == r.currentWave() && r.state() != RolloutState.DRAFT) {
                status = "active";
            } else {
                status = "pending";
            }
            waves.add(new WaveProgress(i, r.waves().get(i).name(), status, m.members(i), r.offered(i),
                    r.count(i, DeviceState.DOWNLOADING),
                    r.count(i, DeviceState.DOWNLOADED) + r.count(i, DeviceState.VERIFIED),
                    r.count(i, DeviceState.INSTALLED), r.count(i, DeviceState.FAILED),
                    r.count(i, DeviceState.ROLLED_BACK)));
        }
        return waves;
    }

    /** The images the ledger's releases name, as of the last catch-up. */
    synchronized Set<Cid> releaseImages() {
        return book.releaseImages();
    }

    /** The lock that keeps a device's decision and its append together (taken before the engine's). */
    Object deviceLock(String deviceId) {
        return deviceLocks[(deviceId.hashCode() & 0x7fffffff) % deviceLocks.length];
    }

    /** A first offer of the rollout's wave was decided; until {@link #offerReplayed} it takes a download slot. */
    synchronized void offerDecided(String slot, String deviceId) {
        appending.computeIfAbsent(slot, k -> new HashSet<>()).add(deviceId);
    }

    /** The offer's append returned (or failed) and its caller caught up: it no longer needs counting apart. */
    synchronized void offerReplayed(String slot, String deviceId) {
        Set<String> devices = appending.get(slot);
        if (devices != null && devices.remove(deviceId) && devices.isEmpty()) {
            appending.remove(slot);
        }
    }

    /**
     * First offers of the slot decided but not in the book yet; under the engine's lock. An offer another
     * device's catch-up already replayed is counted by the book, not here again, or the wave's download cap
     * would refuse devices while it still has room.
     */
    int offersBeingAppended(RolloutRecord rollout, String slot) {
        Set<String> devices = appending.get(slot);
        if (devices == null) {
            return 0;
        }
        int pending = 0;
        for (String device : devices) {
            if (rollout.offer(device) == null) {
                pending++;
            }
        }
        return pending;
    }

    void bytesServed(String releaseId, long bytes) {
        if (releaseId != null && bytes > 0) {
            served.computeIfAbsent(releaseId, k -> new LongAdder()).add(bytes);
        }
    }

    /** Image bytes of the release served since this node started. */
    long bytesServedFor(String releaseId) {
        LongAdder a = served.get(releaseId);
        return a == null ? 0 : a.sum();
    }

    void addListener(UpdateListener listener) {
        listeners.add(listener);
    }

    void removeListener(UpdateListener listener) {
        listeners.remove(listener);
    }

    /**
     * Tells the listeners about every rollout that changed since the last call, whichever component caught up;
     * outside the engine's lock (listeners may ask for answers at once).
     */
    void tellListeners() {
        Set<String> changed;
        synchronized (this) {
            changed = book.drainChanged();
        }
        changed.forEach(this::tellListeners);
    }

    /** Tells the listeners that the answers of a rollout changed. */
    void tellListeners(String rolloutId) {
        for (UpdateListener l : listeners) {
            try {
                l.answersChanged(rolloutId);
            } catch (RuntimeException e) {
                LOG.warn("Update listener {} failed on rollout {}: {}", l, rolloutId, e.toString());
            }
        }
    }

    static String percent(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }
}
