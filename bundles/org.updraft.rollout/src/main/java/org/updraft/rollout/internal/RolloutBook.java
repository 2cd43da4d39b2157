package org.updraft.rollout.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceState;
import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.event.TrustEvents;
import org.updraft.core.event.TrustHistory;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.SnapshotValues;
import org.updraft.core.log.SnapshotView;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.Enrollment;
import org.updraft.core.update.Enrollments;
import org.updraft.core.update.SignedReport;
import org.updraft.core.update.UpdateFormatException;

/**
 * The rollouts, their offers and the devices' reports, as the replay of the ledger's rollout and device
 * events: nothing about a rollout is stored anywhere else, so every node sharing the ledger ends up with the
 * same book. It also keeps the image of every release on the ledger, for retention. Not thread-safe; its owner
 * (the {@link RolloutEngine}) synchronizes on it.
 */
final class RolloutBook implements SnapshotView {

    private static final Logger LOG = LoggerFactory.getLogger(RolloutBook.class);

    /**
     * The newest report recorded for a device: replay protection and retransmission detection. When it counted in a
     * rollout, also that rollout, the offer's wave and the state it left the device in: how a later report is told
     * apart once the rollout ended and dropped the offer ({@link RolloutRecord#trimFinished}).
     *
     * @param rolloutId the rollout it counted in, or {@code null}
     * @param wave the offer's wave, or -1
     * @param state the state reported, or {@code null} when it counted in no rollout
     */
    record LastReport(long counter, byte[] sha256, long ledgerIndex, String rolloutId, int wave, DeviceState state) {
    }

    private final Map<String, RolloutRecord> rollouts = new LinkedHashMap<>();
    private final Map<String, LastReport> lastReports = new HashMap<>();
    /**
     * Per device id, the time of the newest enrollment recorded: an enrollment is only accepted when it is newer,
     * so a captured one cannot bring back a device that was removed since (the registry forgets the device, the
     * ledger does not forget its enrollments).
     */
    private final Map<String, Instant> enrolledAt = new HashMap<>();
    /** The image of every readable release.published event, whether or not the release index accepts the release. */
    private final Set<Cid> releaseImages = new HashSet<>();
    /** Per target release id, the deltas recorded to it: what offers of it may carry, what retention keeps. */
    private final Map<String, List<Delta>> deltasTo = new HashMap<>();
    /** The vendors' keys, for the vendor a rotation or revocation (which name a key only) belongs to. */
    private final TrustHistory keys = new TrustHistory();
    /** Per vendor, the ledger indices of its keys' rotations and revocations, oldest first: what offers carry. */
    private final Map<String, List<Long>> trustChanges = new HashMap<>();
    /** Per successor key, the index of the rotation that named it and the key it replaced. */
    private final Map<String, Rotation> rotations = new HashMap<>();
    /** Counts the trust changes applied: offers made before a change are made again. */
    private long trustVersion;
    private final LedgerFollower follower;
    /** Rollouts whose state changed since the last {@link #drainChanged()}, once the first replay is done. */
    private final Set<String> changed = new LinkedHashSet<>();
    private boolean replayed;

    RolloutBook(Ledger ledger) {
        this.follower = new LedgerFollower(ledger, this, this::apply, this::clear);
    }

    /** Forgets everything: another log, or a snapshot that could not be used, is replayed from its start. */
    private void clear() {
        // every answer may change
        changed.addAll(rollouts.keySet());
        rollouts.clear();
        lastReports.clear();
        enrolledAt.clear();
        releaseImages.clear();
        deltasTo.clear();
        keys.clear();
        trustChanges.clear();
        rotations.clear();
        trustVersion++;
    }

    @Override
    public String snapshotName() {
        return "rollouts";
    }

    @Override
    public int snapshotVersion() {
        return 3;
    }

    /**
     * The whole book: rollouts with their offers and device states, each device's last report and enrollment, the
     * releases' images, the deltas, the vendors' keys and trust changes, and the trust version.
     */
    @Override
    public Object snapshotState() {
        return captureState().get();
    }

    /**
     * Under the owner's lock: copies of the book's maps (their values are immutable, or copied too) and of each
     * rollout's offers; the CBOR value, with the offers packed, is built from them later, outside the lock.
     */
    @Override
    public Supplier<Object> captureState() {
        List<RolloutRecord.Captured> records = new ArrayList<>(rollouts.size());
        for (RolloutRecord r : rollouts.values()) {
            records.add(r.capture());
        }
        Map<String, LastReport> reportsNow = new HashMap<>(lastReports);
        Map<String, Instant> enrolledNow = new HashMap<>(enrolledAt);
        List<Cid> imagesNow = new ArrayList<>(releaseImages);
        Map<String, List<Delta>> deltasNow = new HashMap<>();
        deltasTo.forEach((release, list) -> deltasNow.put(release, List.copyOf(list)));
        Object keysNow = keys.snapshotState(); // new lists of immutable values
        Map<Object, Object> changes = new HashMap<>();
        trustChanges.forEach((vendor, indexes) -> changes.put(vendor, List.copyOf(indexes)));
        Map<String, Rotation> rotationsNow = new HashMap<>(rotations);
        long trustVersionNow = trustVersion;
        return () -> {
            List<Object> encodedRecords = new ArrayList<>(records.size());
            for (RolloutRecord.Captured r : records) {
                encodedRecords.add(r.toCbor());
            }
            Map<Object, Object> reports = new HashMap<>();
            reportsNow.forEach((device, last) -> reports.put(device, Arrays.asList(last.counter(), last.sha256(),
                    last.ledgerIndex(), last.rolloutId(), (long) last.wave(),
                    last.state() == null ? null : last.state().name())));
            Map<Object, Object> enrolled = new HashMap<>();
            enrolledNow.forEach((device, time) -> enrolled.put(device, SnapshotValues.instant(time)));
            List<Object> images = new ArrayList<>();
            for (Cid cid : imagesNow) {
                images.add(cid.toString());
            }
            images.sort(null);
            Map<Object, Object> deltas = new HashMap<>();
            deltasNow.forEach((release, list) -> {
                List<Object> encoded = new ArrayList<>();
                for (Delta d : list) {
                    encoded.add(List.of(DeltaEvents.published(d), d.ledgerIndex()));
                }
                deltas.put(release, encoded);
            });
            Map<Object, Object> successors = new HashMap<>();
            rotationsNow.forEach((successor, r) -> successors.put(successor, List.of(r.index(), r.from())));
            List<Object> states = new ArrayList<>();
            for (DeviceState s : DeviceState.values()) {
                states.add(s.name());
            }
            return List.of(encodedRecords, reports, enrolled, images, deltas, keysNow, changes, successors,
                    trustVersionNow, states);
        };
    }

    @Override
    public void restoreState(Object state) throws CborException {
        List<?> v = SnapshotValues.list(state, 10);
        List<DeviceState> states = new ArrayList<>();
        for (Object name : SnapshotValues.list(v.get(9), -1)) {
            try {
                states.add(DeviceState.valueOf(SnapshotValues.text(name)));
            } catch (IllegalArgumentException e) {
                throw new CborException("view state: unknown device state " + name);
            }
        }
        Map<String, RolloutRecord> readRollouts = new LinkedHashMap<>();
        for (Object o : SnapshotValues.list(v.get(0), -1)) {
            RolloutRecord r = RolloutRecord.restore(o, states);
            readRollouts.put(r.id(), r);
        }
        Map<String, LastReport> readReports = new HashMap<>();
        for (Map.Entry<?, ?> e : map(v.get(1)).entrySet()) {
            List<?> last = SnapshotValues.list(e.getValue(), 6);
            String reported = SnapshotValues.optionalText(last.get(5));
            DeviceState lastState;
            try {
                lastState = reported == null ? null : DeviceState.valueOf(reported);
            } catch (IllegalArgumentException ex) {
                throw new CborException("view state: unknown device state " + reported);
            }
            readReports.put(SnapshotValues.text(e.getKey()), new LastReport(SnapshotValues.integer(last.get(0)),
                    SnapshotValues.bytes(last.get(1)), SnapshotValues.integer(last.get(2)),
                    SnapshotValues.optionalText(last.get(3)), SnapshotValues.smallInteger(last.get(4)), lastState));
        }
        Map<String, Instant> readEnrolled = new HashMap<>();
        for (Map.Entry<?, ?> e : map(v.get(2)).entrySet()) {
            readEnrolled.put(SnapshotValues.text(e.getKey()), SnapshotValues.instant(e.getValue()));
        }
        Set<Cid> readImages = new HashSet<>();
        for (Object o : SnapshotValues.list(v.get(3), -1)) {
            try {
                readImages.add(Cid.parse(SnapshotValues.text(o)));
            } catch (IllegalArgumentException e) {
                throw new CborException("view state: not a CID: " + o);
            }
        }
        Map<String, List<Delta>> readDeltas = new HashMap<>();
        for (Map.Entry<?, ?> e : map(v.get(4)).entrySet()) {
            List<Delta> list = new ArrayList<>();
            for (Object o : SnapshotValues.list(e.getValue(), -1)) {
                List<?> d = SnapshotValues.list(o, 2);
                list.add(DeltaEvents.decodePublished(SnapshotValues.bytes(d.get(0)), SnapshotValues.integer(d.get(1))));
            }
            readDeltas.put(SnapshotValues.text(e.getKey()), list);
        }
        TrustHistory readKeys = new TrustHistory();
        readKeys.restoreState(v.get(5));
        Map<String, List<Long>> readChanges = new HashMap<>();
        for (Map.Entry<?, ?> e : map(v.get(6)).entrySet()) {
            List<Long> indexes = new ArrayList<>();
            for (Object o : SnapshotValues.list(e.getValue(), -1)) {
                indexes.add(SnapshotValues.integer(o));
            }
            readChanges.put(SnapshotValues.text(e.getKey()), indexes);
        }
        Map<String, Rotation> readRotations = new HashMap<>();
        for (Map.Entry<?, ?> e : map(v.get(7)).entrySet()) {
            List<?> r = SnapshotValues.list(e.getValue(), 2);
            readRotations.put(SnapshotValues.text(e.getKey()), new Rotation(SnapshotValues.integer(r.get(0)),
                    SnapshotValues.text(r.get(1))));
        }
        long readTrustVersion = SnapshotValues.integer(v.get(8));
        if (replayed) { // as a replay does: changes are told once the first one is done
            changed.addAll(rollouts.keySet());
            changed.addAll(readRollouts.keySet());
        }
        rollouts.clear();
        lastReports.clear();
        enrolledAt.clear();
        releaseImages.clear();
        deltasTo.clear();
        trustChanges.clear();
        rotations.clear();
        rollouts.putAll(readRollouts);
        lastReports.putAll(readReports);
        enrolledAt.putAll(readEnrolled);
        releaseImages.addAll(readImages);
        deltasTo.putAll(readDeltas);
        keys.restoreState(v.get(5));
        trustChanges.putAll(readChanges);
        rotations.putAll(readRotations);
        // never back: what was computed under an earlier version is not taken for current (a reset counted up)
        trustVersion = Math.max(trustVersion, readTrustVersion);
    }

    private static Map<?, ?> map(Object value) throws CborException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new CborException("view state: expected a map");
        }
        return m;
    }

    /** Applies the events appended since the last call, by this node or any other. */
    void catchUp() throws LedgerException {
        follower.catchUp();
        replayed = true;
    }

    long followed() {
        return follower.followed();
    }

    RolloutRecord rollout(String id) {
        return rollouts.get(id);
    }

    /** All rollouts, oldest first. */
    List<RolloutRecord> rollouts() {
        return new ArrayList<>(rollouts.values());
    }

    LastReport lastReport(String deviceId) {
        return lastReports.get(deviceId);
    }

    /** When the device made the newest enrollment the ledger records for its id, or {@code null} if none. */
    Instant lastEnrollment(String deviceId) {
        return enrolledAt.get(deviceId);
    }

    /** The images the ledger's releases name. */
    Set<Cid> releaseImages() {
        return new HashSet<>(releaseImages);
    }

    /** The deltas recorded to a release, oldest first. */
    List<Delta> deltasTo(String releaseId) {
        return List.copyOf(deltasTo.getOrDefault(releaseId, List.of()));
    }

    /** A rotation on the ledger: at {@code index}, {@code from} named its successor. */
    record Rotation(long index, String from) {
    }

    /**
     * The trust changes an offer of a release by {@code signer} carries, at most {@code max}, oldest first: the
     * rotations that lead from the vendor's first keys to the signer, then the vendor's newest revocations.
     */
    List<Long> trustChangesFor(String vendor, String signer, int max) {
        List<Long> chain = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Rotation r = rotations.get(signer); r != null && seen.add(r.from()); r = rotations.get(r.from())) {
            chain.add(r.index());
        }
        List<Long> picked = new ArrayList<>(chain.subList(0, Math.min(max, chain.size())));
        List<Long> all = trustChanges.getOrDefault(vendor, List.of());
        for (int i = all.size() - 1; i >= 0 && picked.size() < max; i--) {
            if (!chain.contains(all.get(i))) {
                picked.add(all.get(i));
            }
        }
        if (picked.size() < all.size()) { // the chain's rotations are the vendor's too
            LOG.warn("An offer of a release by {} carries {} of vendor {}'s trust changes, the most an answer holds: a "
                    + "device provisioned with a key older than the chain's start cannot follow it", signer, max,
                    vendor);
        }
        picked.sort(null);
        return picked;
    }

    /** Changes with every rotation or revocation of a key replayed. */
    long trustVersion() {
        return trustVersion;
    }

    /** The ids of the rollouts that changed since the last call (changes seen after the first replay only). */
    Set<String> drainChanged() {
        Set<String> ids = new LinkedHashSet<>(changed);
        changed.clear();
        return ids;
    }

    private void apply(LedgerEntry entry) {
        LedgerEvent event = entry.event();
        try {
            switch (event.type()) {
                case EventTypes.ROLLOUT_CREATED:
                    RolloutEvents.Created c = (RolloutEvents.Created) RolloutEvents.decode(event.type(), event.payload());
                    if (rollouts.containsKey(c.rollout())) {
                        LOG.warn("Ignoring rollout.created #{}: rollout {} exists already", entry.index(), c.rollout());
                        return;
                    }
                    rollouts.put(c.rollout(), new RolloutRecord(c, event.payload(), event.time(), entry.index()));
                    return;
                case EventTypes.ROLLOUT_CHANGED:
                    RolloutEvents.Changed ch = (RolloutEvents.Changed) RolloutEvents.decode(event.type(), event.payload());
                    RolloutRecord r = rollouts.get(ch.rollout());
                    if (r == null) {
                        LOG.warn("Ignoring rollout.changed #{}: no rollout {}", entry.index(), ch.rollout());
                    } else if (r.applyChange(ch, event.time(), entry.index()) && replayed) {
                        changed.add(r.id());
                    }
                    return;
                case EventTypes.ROLLOUT_OFFERED:
                    RolloutEvents.Offered o = (RolloutEvents.Offered) RolloutEvents.decode(event.type(), event.payload());
                    RolloutRecord offering = rollouts.get(o.rollout());
                    // a finished rollout that dropped the device's ended offer does not take it as a new one
                    if (offering != null && !(offering.trimmed() && offeredWave(offering, o.device()) >= 0)) {
                        offering.applyOffer(o, event.time());
                    }
                    return;
                case EventTypes.DEVICE_REPORTED:
                    applyReport(entry, event);
                    return;
                case EventTypes.DEVICE_ENROLLED:
                    applyEnrollment(entry, event);
                    return;
                case EventTypes.RELEASE_PUBLISHED:
                    releaseImages.add(ReleaseEvents.decodePublished(event.payload()).manifest().cid());
                    return;
                case EventTypes.DELTA_PUBLISHED:
                    Delta delta = DeltaEvents.decodePublished(event.payload(), entry.index());
                    deltasTo.computeIfAbsent(delta.toRelease(), k -> new ArrayList<>()).add(delta);
                    return;
                case EventTypes.KEY_REGISTERED:
                case EventTypes.KEY_ROTATED:
                case EventTypes.KEY_REVOKED:
                    applyTrust(entry, event);
                    return;
                default:
                    // other events: other views
            }
        } catch (CborException e) {
            LOG.error("Ignoring unreadable {} event #{}: {}", event.type(), entry.index(), e.getMessage());
        }
    }

    /** Only the trust store's view decides trust: this one keeps what offers must carry of it. */
    private void applyTrust(LedgerEntry entry, LedgerEvent event) throws CborException {
        Record change = TrustEvents.decode(event.type(), event.payload());
        String did = change instanceof TrustEvents.KeyRotated r ? r.did()
                : change instanceof TrustEvents.KeyRevoked r ? r.did() : null;
        try {
            TrustedKey key = did == null ? null : keys.find(did).orElse(null);
            if (keys.apply(change, event.time(), entry.index()) && key != null) {
                trustChanges.computeIfAbsent(key.vendor(), v -> new ArrayList<>()).add(entry.index());
                if (change instanceof TrustEvents.KeyRotated r) {
                    rotations.putIfAbsent(r.successor(), new Rotation(entry.index(), r.did()));
                }
                trustVersion++;
            }
        } catch (TrustException e) {
            throw new IllegalStateException(e); // a history without a base cannot fail to look a key up
        }
    }

    /**
     * A report was checked (signature, counter, offer) before it was appended; a replay trusts the ledger's
     * order and only skips what it cannot read.
     */
    private void applyReport(LedgerEntry entry, LedgerEvent event) {
        SignedReport signed;
        try {
            signed = DeviceEvents.decodeReported(event.payload());
        } catch (UpdateFormatException e) {
            LOG.error("Ignoring unreadable device.reported event #{}: {}", entry.index(), e.getMessage());
            return;
        }
        DeviceReport report = signed.report();
        byte[] sha = sha256(event.payload());
        if (report.state() == DeviceState.STALE) { // about no rollout
            lastReports.put(report.deviceId(), new LastReport(report.counter(), sha, entry.index(), null, -1, null));
            return;
        }
        RolloutRecord r = reportedRollout(report.deviceId(), report.rolloutId(), report.releaseId());
        int wave = r == null ? -1 : offeredWave(r, report.deviceId());
        LastReport previous = lastReports.get(report.deviceId());
        boolean counted = false;
        if (r != null && r.offer(report.deviceId()) != null) {
            counted = r.applyReport(report.deviceId(), report.releaseId(), report.state(), event.time(), entry.index());
        } else if (wave >= 0 && report.releaseId().equals(r.releaseId())) { // its offer was dropped when r ended
            r.applyDroppedReport(report.deviceId(), wave, previous.state(), report.state(), event.time(),
                    entry.index());
            counted = true;
        }
        lastReports.put(report.deviceId(), counted
                ? new LastReport(report.counter(), sha, entry.index(), r.id(), wave, report.state())
                : new LastReport(report.counter(), sha, entry.index(), null, -1, null));
    }

    /**
     * The rollout a report is about: the one it names, else the newest that offered the release to the device (a
     * report from a device that does not name its rollout), else the finished rollout of that release in which the
     * device's newest report counted.
     */
    RolloutRecord reportedRollout(String deviceId, String rolloutId, String releaseId) {
        if (rolloutId != null) {
            return rollouts.get(rolloutId);
        }
        RolloutRecord r = offeringRollout(deviceId, releaseId);
        if (r == null) {
            LastReport last = lastReports.get(deviceId);
            RolloutRecord before = last == null || last.rolloutId() == null ? null : rollouts.get(last.rolloutId());
            if (before != null && before.trimmed() && before.releaseId().equals(releaseId)) {
                r = before;
            }
        }
        return r;
    }

    /**
     * The wave in which the rollout offered its release to the device, or -1 when it did not: from the offer, or,
     * once the rollout ended and dropped the offer, from the device's newest report when that counted in it.
     */
    int offeredWave(RolloutRecord r, String deviceId) {
        RolloutRecord.OfferState offer = r.offer(deviceId);
        if (offer != null) {
            return offer.wave;
        }
        LastReport last = lastReports.get(deviceId);
        return r.trimmed() && last != null && r.id().equals(last.rolloutId()) ? last.wave() : -1;
    }

    /**
     * Enrollments were checked (signature, freshness) before they were appended: a replay reads them without
     * checking their signatures again, and only skips the unreadable.
     */
    private void applyEnrollment(LedgerEntry entry, LedgerEvent event) {
        Enrollment e;
        try {
            e = Enrollments.parse(event.payload());
        } catch (UpdateFormatException ex) {
            LOG.error("Ignoring unreadable device.enrolled event #{}: {}", entry.index(), ex.getMessage());
            return;
        }
        enrolledAt.merge(e.deviceId(), e.time(), (a, b) -> a.isAfter(b) ? a : b);
    }

    /** The newest rollout that offered the release to the device, or {@code null}. */
    RolloutRecord offeringRollout(String deviceId, String releaseId) {
        RolloutRecord found = null;
        for (RolloutRecord r : rollouts.values()) {
            if (r.releaseId().equals(releaseId) && r.offer(deviceId) != null) {
                found = r;
            }
        }
        return found;
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static boolean sameBytes(LastReport last, byte[] bytes) {
        return last != null && Arrays.equals(last.sha256(), sha256(bytes));
    }

    /** The rollout of the vendor's device class that is neither completed nor cancelled, or {@code null}. */
    RolloutRecord activeFor(String vendor, String deviceClass) {
        for (RolloutRecord r : rollouts.values()) {
            if (!r.state().isFinal() && r.vendor().equals(vendor) && r.deviceClass().equals(deviceClass)) {
                return r;
            }
        }
        return null;
    }

}
