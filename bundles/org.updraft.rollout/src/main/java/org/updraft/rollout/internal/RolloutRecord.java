package org.updraft.rollout.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.log.SnapshotValues;

/**
 * One rollout as replayed: its spec, where it stands, every device it offered the release to, and per wave
 * how many devices stand where. A device counts once, under its latest reported state. Mutated only by
 * {@link RolloutBook} under its owner's lock.
 *
 * <p>Once the rollout is completed or cancelled it is <em>trimmed</em>: the offers whose device reported a final
 * state (installed, failed, rolled back) are dropped, and only their counts per wave and state are kept. Nothing
 * decides on them any more (a finished rollout makes no new offers; a device whose offer ended gets none of it), so
 * a book that ran rollouts for years holds the offers of running rollouts and the unfinished downloads of finished
 * ones, not every offer ever made. The unfinished ones stay: a download in progress may finish, and its reports count.
 * A later report of a device whose offer was dropped is recognised from the device's newest report
 * ({@link RolloutBook.LastReport}) and moves it between the counts.
 */
final class RolloutRecord {

    /** A device the rollout offered its release to. */
    static final class OfferState {
        final String deviceId;
        final int wave;
        final Instant offered;
        Instant lastActivity;
        /** Latest reported state, or {@code null} while it reported nothing. */
        DeviceState latest;
        /**
         * Whether it takes a download slot while unfinished: from an offer to an authenticated request, or from the
         * device's first signed report after an offer to an unauthenticated one (anyone may have asked for that).
         */
        boolean holdsSlot;

        OfferState(String deviceId, int wave, Instant offered, boolean holdsSlot) {
            this.deviceId = deviceId;
            this.wave = wave;
            this.offered = offered;
            this.lastActivity = offered;
            this.holdsSlot = holdsSlot;
        }

        boolean isFinal() {
            return latest != null && latest.isFinal();
        }
    }

    private final String id;
    private final String releaseId;
    private final String vendor;
    private final String deviceClass;
    private final DeviceFilter target;
    private final List<WaveSpec> waves;
    private final Instant created;
    private final long createdIndex;
    /** The payload of the rollout.created event, which a snapshot restores the spec from. */
    private final byte[] createdPayload;

    private RolloutState state = RolloutState.DRAFT;
    /** Whether the final offers were dropped ({@link #trimFinished}); set once the rollout is completed or cancelled. */
    private boolean trimmed;
    private int currentWave;
    private String reason;
    private Instant updated;
    private long ledgerIndex;

    private final Map<String, OfferState> offers = new HashMap<>();
    /** The offers in the order they were made, so derived views can follow new offers incrementally. */
    private final List<OfferState> offerOrder = new ArrayList<>();
    private final int[] offered;
    /** Per wave, devices under each latest state (indexed by {@link DeviceState#ordinal()}). */
    private final int[][] byState;
    /** Per wave, the ledger index of the newest failure or rollback reported, or -1. */
    private final long[] lastFailure;
    /** Per wave, offered devices that did not report a final state: the download cap counts among them. */
    private final List<Map<String, OfferState>> unfinished = new ArrayList<>();

    RolloutRecord(RolloutEvents.Created c, byte[] payload, Instant time, long index) {
        this.createdPayload = payload.clone();
        this.id = c.rollout();
        this.releaseId = c.release();
        String[] parts = c.release().split("/", -1);
        this.vendor = parts[0];
        this.deviceClass = parts.length > 1 ? parts[1] : "";
        this.target = c.target();
        this.waves = c.waves();
        this.created = time;
        this.updated = time;
        this.ledgerIndex = index;
        this.createdIndex = index;
        this.offered = new int[waves.size()];
        this.byState = new int[waves.size()][DeviceState.values().length];
        this.lastFailure = new long[waves.size()];
        Arrays.fill(lastFailure, -1);
        for (int i = 0; i < waves.size(); i++) {
            unfinished.add(new LinkedHashMap<>());
        }
    }

    /**
     * Applies a change if it follows the rollout's latest state event (compare-and-set on the ledger); a
     * change that lost a race with another node is ignored, the same way by every replay.
     *
     * @return whether it took effect
     */
    boolean applyChange(RolloutEvents.Changed c, Instant time, long index) {
        if (c.after() != ledgerIndex || state.isFinal() || c.wave() > waves.size()) {
            return false;
        }
        state = c.state();
        currentWave = c.wave();
        reason = c.reason();
        updated = time;
        ledgerIndex = index;
        if (state.isFinal()) {
            trimFinished();
        }
        return true;
    }

    /**
     * Drops the offers whose device reported a final state, keeping their counts (a finished rollout; see the
     * class comment).
     */
    void trimFinished() {
        trimmed = true;
        offerOrder.removeIf(o -> {
            if (o.isFinal()) {
                offers.remove(o.deviceId);
                return true;
            }
            return false;
        });
    }

    /** Whether the offers that ended were dropped, the rollout being finished. */
    boolean trimmed() {
        return trimmed;
    }

    void applyOffer(RolloutEvents.Offered o, Instant time) {
        if (offers.containsKey(o.device()) || o.wave() < 0 || o.wave() >= waves.size()
                || !o.release().equals(releaseId)) {
            return;
        }
        OfferState s = new OfferState(o.device(), o.wave(), time, !o.unauthenticated());
        offers.put(o.device(), s);
        offerOrder.add(s);
        offered[o.wave()]++;
        unfinished.get(o.wave()).put(o.device(), s);
    }

    /** @return whether the report was about an offer of this rollout (and counted) */
    boolean applyReport(String deviceId, String release, DeviceState newState, Instant time, long index) {
        OfferState s = offers.get(deviceId);
        if (s == null || !release.equals(releaseId)) {
            return false;
        }
        if (s.latest != null) {
            byState[s.wave][s.latest.ordinal()]--;
        }
        s.latest = newState;
        byState[s.wave][newState.ordinal()]++;
        s.lastActivity = time;
        s.holdsSlot = true; // its signature was verified: the device itself is downloading
        if (newState.isFailure()) {
            lastFailure[s.wave] = index;
        }
        if (newState.isFinal()) {
            unfinished.get(s.wave).remove(deviceId);
            if (trimmed) { // ended now: the rollout keeps only its count
                offers.remove(deviceId);
                offerOrder.remove(s);
            }
        } else {
            unfinished.get(s.wave).put(deviceId, s);
        }
        return true;
    }

    /**
     * A report of a device whose offer was dropped when the rollout was trimmed: it counts under its new state
     * instead of the final one it was dropped with. A state that is not final brings the offer back (a device
     * downloading again), as an offer made at the report's time.
     *
     * @param wave the offer's wave, and {@code previous} its state, as the device's newest report left them
     */
    void applyDroppedReport(String deviceId, int wave, DeviceState previous, DeviceState newState, Instant time,
            long index) {
        if (!trimmed || offers.containsKey(deviceId) || wave < 0 || wave >= waves.size() || previous == null
                || byState[wave][previous.ordinal()] == 0) {
            return;
        }
        byState[wave][previous.ordinal()]--;
        byState[wave][newState.ordinal()]++;
        if (newState.isFailure()) {
            lastFailure[wave] = index;
        }
        if (!newState.isFinal()) {
            OfferState s = new OfferState(deviceId, wave, time, true);
            s.latest = newState;
            offers.put(deviceId, s);
            offerOrder.add(s);
            unfinished.get(wave).put(deviceId, s);
        }
    }

    /**
     * Devices of the wave that hold a download slot: offered to an authenticated request or reporting progress,
     * not final, and heard of within {@code timeout} (a device that went silent gives its slot back).
     */
    int downloadsInFlight(int wave, Instant now, Duration timeout) {
        Instant since = now.minus(timeout);
        int n = 0;
        for (OfferState s : unfinished.get(wave).values()) {
            if (s.holdsSlot && s.lastActivity.isAfter(since)) {
                n++;
            }
        }
        return n;
    }

    /**
     * This rollout as a view snapshot's CBOR value: its created event, where it stands, its offers in the order
     * they were made, and each wave's newest failure. Counters are not written: {@link #restore} counts them again.
     * The offers, a million or more in a book that ran many rollouts, are one byte string of packed records (see
     * {@link Captured#packOffers}) rather than a CBOR item each: a node restores them about ten times faster.
     */
    Object snapshotState() {
        return capture().toCbor();
    }

    /**
     * Under the owner's lock: a copy of what {@link #snapshotState()} writes, taken field by field into arrays (no
     * object per offer), so that the packing and encoding can run outside the lock while offers change.
     */
    Captured capture() {
        int n = offerOrder.size();
        String[] devices = new String[n];
        int[] offerWaves = new int[n];
        Instant[] offeredAt = new Instant[n];
        Instant[] activity = new Instant[n];
        byte[] latest = new byte[n];
        boolean[] slots = new boolean[n];
        for (int i = 0; i < n; i++) {
            OfferState o = offerOrder.get(i);
            devices[i] = o.deviceId;
            offerWaves[i] = o.wave;
            offeredAt[i] = o.offered;
            activity[i] = o.lastActivity;
            latest[i] = (byte) (o.latest == null ? 0 : o.latest.ordinal() + 1);
            slots[i] = o.holdsSlot;
        }
        int[][] counts = new int[waves.size()][];
        for (int w = 0; w < counts.length; w++) {
            counts[w] = byState[w].clone();
        }
        return new Captured(createdPayload, created, createdIndex, state, currentWave, reason, updated, ledgerIndex,
                devices, offerWaves, offeredAt, activity, latest, slots, lastFailure.clone(), trimmed, offered.clone(),
                counts);
    }

    /** A rollout as it stood when captured; nothing in it changes (the payload is never written to). */
    record Captured(byte[] createdPayload, Instant created, long createdIndex, RolloutState state, int currentWave,
            String reason, Instant updated, long ledgerIndex, String[] devices, int[] offerWaves, Instant[] offeredAt,
            Instant[] activity, byte[] latest, boolean[] slots, long[] lastFailure, boolean trimmed, int[] offered,
            int[][] byState) {

        /**
         * The last two items are whether the final offers were dropped, and per wave the offers made and the devices
         * under each state (in the order of the book's state names): all that is left of the dropped offers.
         */
        Object toCbor() {
            List<Object> failures = new ArrayList<>();
            for (long f : lastFailure) {
                failures.add(f);
            }
            List<Object> counts = new ArrayList<>();
            for (int w = 0; w < offered.length; w++) {
                List<Object> wave = new ArrayList<>();
                wave.add((long) offered[w]);
                for (int n : byState[w]) {
                    wave.add((long) n);
                }
                counts.add(wave);
            }
            return Arrays.asList(createdPayload, SnapshotValues.instant(created), createdIndex, state.name(),
                    (long) currentWave, reason, SnapshotValues.instant(updated), ledgerIndex, packOffers(), failures,
                    trimmed, counts);
        }

        /**
         * Per offer, in order: device id (u16 length, UTF-8), wave (i32), offered and last activity (i64 seconds,
         * i32 nanoseconds each), latest state (u8: 0 none, else 1 + its index in {@link DeviceState#values()}, whose
         * names the book's snapshot lists), whether it holds a download slot (u8).
         */
        private byte[] packOffers() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(devices.length * 48);
            DataOutputStream out = new DataOutputStream(bytes);
            try {
                for (int i = 0; i < devices.length; i++) {
                    byte[] id = devices[i].getBytes(StandardCharsets.UTF_8);
                    out.writeShort(id.length);
                    out.write(id);
                    out.writeInt(offerWaves[i]);
                    out.writeLong(offeredAt[i].getEpochSecond());
                    out.writeInt(offeredAt[i].getNano());
                    out.writeLong(activity[i].getEpochSecond());
                    out.writeInt(activity[i].getNano());
                    out.writeByte(latest[i]);
                    out.writeByte(slots[i] ? 1 : 0);
                }
            } catch (IOException e) {
                throw new IllegalStateException("writing to memory failed", e);
            }
            return bytes.toByteArray();
        }
    }

    /**
     * A rollout from its {@link #snapshotState()}.
     *
     * @param states the device states by the index the snapshot's packed offers name them with
     */
    static RolloutRecord restore(Object value, List<DeviceState> states) throws CborException {
        List<?> v = SnapshotValues.list(value, 12);
        byte[] payload = SnapshotValues.bytes(v.get(0));
        if (!(RolloutEvents.decode(EventTypes.ROLLOUT_CREATED, payload) instanceof RolloutEvents.Created c)) {
            throw new CborException("view state: not a rollout.created payload");
        }
        RolloutRecord r = new RolloutRecord(c, payload, SnapshotValues.instant(v.get(1)),
                SnapshotValues.integer(v.get(2)));
        r.state = enumValue(RolloutState.class, v.get(3));
        r.currentWave = SnapshotValues.smallInteger(v.get(4));
        if (r.currentWave < 0 || r.currentWave > r.waves.size()) {
            throw new CborException("view state: wave " + r.currentWave + " out of range");
        }
        r.reason = SnapshotValues.optionalText(v.get(5));
        r.updated = SnapshotValues.instant(v.get(6));
        r.ledgerIndex = SnapshotValues.integer(v.get(7));
        ByteBuffer in = ByteBuffer.wrap(SnapshotValues.bytes(v.get(8)));
        try {
            while (in.hasRemaining()) {
                byte[] id = new byte[Short.toUnsignedInt(in.getShort())];
                in.get(id);
                String device = new String(id, StandardCharsets.UTF_8);
                int wave = in.getInt();
                Instant offered = instant(in.getLong(), in.getInt());
                Instant lastActivity = instant(in.getLong(), in.getInt());
                int latest = Byte.toUnsignedInt(in.get());
                int holdsSlot = in.get();
                if (wave < 0 || wave >= r.waves.size() || r.offers.containsKey(device) || latest > states.size()
                        || (holdsSlot & ~1) != 0) {
                    throw new CborException("view state: offer to " + device + " out of place");
                }
                OfferState s = new OfferState(device, wave, offered, holdsSlot == 1);
                s.lastActivity = lastActivity;
                s.latest = latest == 0 ? null : states.get(latest - 1);
                r.offers.put(device, s);
                r.offerOrder.add(s);
                r.offered[wave]++;
                if (s.latest != null) {
                    r.byState[wave][s.latest.ordinal()]++;
                }
                if (!s.isFinal()) {
                    r.unfinished.get(wave).put(device, s);
                }
            }
        } catch (BufferUnderflowException e) {
            throw new CborException("view state: the offers of rollout " + r.id + " are cut short");
        }
        List<?> failures = SnapshotValues.list(v.get(9), r.waves.size());
        for (int i = 0; i < failures.size(); i++) {
            r.lastFailure[i] = SnapshotValues.integer(failures.get(i));
        }
        r.trimmed = SnapshotValues.flag(v.get(10));
        if (r.trimmed != r.state.isFinal()) {
            throw new CborException("view state: rollout " + r.id + " is " + r.state + (r.trimmed ? " but" : " and not")
                    + " trimmed");
        }
        // the counts written: the kept offers' (counted above) and, in a trimmed rollout, the dropped ones'
        List<?> counts = SnapshotValues.list(v.get(11), r.waves.size());
        for (int w = 0; w < counts.size(); w++) {
            List<?> wave = SnapshotValues.list(counts.get(w), 1 + states.size());
            int offered = SnapshotValues.smallInteger(wave.get(0));
            if (offered < r.offered[w] || !r.trimmed && offered != r.offered[w]) {
                throw new CborException("view state: rollout " + r.id + " counts " + offered + " offers in wave " + w);
            }
            r.offered[w] = offered;
            int[] byState = new int[DeviceState.values().length];
            for (int i = 0; i < states.size(); i++) {
                byState[states.get(i).ordinal()] += SnapshotValues.smallInteger(wave.get(1 + i));
            }
            for (DeviceState s : DeviceState.values()) {
                int n = byState[s.ordinal()];
                int kept = r.byState[w][s.ordinal()];
                if (n < kept || (!r.trimmed || !s.isFinal()) && n != kept || r.trimmed && s.isFinal() && kept != 0) {
                    throw new CborException("view state: rollout " + r.id + " counts " + n + " devices " + s
                            + " in wave " + w + ", its offers " + kept);
                }
                r.byState[w][s.ordinal()] = n;
            }
        }
        return r;
    }

    private static Instant instant(long seconds, int nanos) throws CborException {
        if (nanos < 0 || nanos > 999_999_999) {
            throw new CborException("view state: nanoseconds out of range");
        }
        return Instant.ofEpochSecond(seconds, nanos);
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, Object name) throws CborException {
        try {
            return Enum.valueOf(type, SnapshotValues.text(name));
        } catch (IllegalArgumentException e) {
            throw new CborException("view state: unknown " + type.getSimpleName() + " " + name);
        }
    }

    Rollout toRollout() {
        return new Rollout(id, releaseId, target, waves, state, currentWave, reason, created, updated, ledgerIndex);
    }

    String id() {
        return id;
    }

    String releaseId() {
        return releaseId;
    }

    String vendor() {
        return vendor;
    }

    String deviceClass() {
        return deviceClass;
    }

    DeviceFilter target() {
        return target;
    }

    List<WaveSpec> waves() {
        return waves;
    }

    RolloutState state() {
        return state;
    }

    int currentWave() {
        return currentWave;
    }

    long ledgerIndex() {
        return ledgerIndex;
    }

    OfferState offer(String deviceId) {
        return offers.get(deviceId);
    }

    int offerCount() {
        return offerOrder.size();
    }

    String offeredDevice(int i) {
        return offerOrder.get(i).deviceId;
    }

    int offered(int wave) {
        return offered[wave];
    }

    int count(int wave, DeviceState s) {
        return byState[wave][s.ordinal()];
    }

    /** The ledger index of the wave's newest failure or rollback, or -1: newer than {@link #ledgerIndex()} is unseen. */
    long lastFailure(int wave) {
        return lastFailure[wave];
    }

    int failures(int wave) {
        return count(wave, DeviceState.FAILED) + count(wave, DeviceState.ROLLED_BACK);
    }
}
