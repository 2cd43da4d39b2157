package org.updraft.core.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.CborException;
import org.updraft.core.log.SnapshotValues;
import org.updraft.core.manifest.TrustLookup;

/**
 * The manufacturer keys a sequence of trust events leaves, applied in ledger order: the one definition of what a
 * registration, a rotation and a revocation do, for the platform's trust store and for a device alike.
 * <ul>
 * <li>A registration trusts a key not known yet (a known key stays as it is).</li>
 * <li>A rotation of an active key marks it rotated and trusts its successor for the same vendor and device classes
 * (a successor already known stays as it is). A key rotated before names its one successor, and a revoked key
 * vouches for nothing: a rotation of either changes nothing.</li>
 * <li>A revocation of a known key marks it revoked; what it signed is no longer trusted.</li>
 * </ul>
 * Keys come from the events and, behind them, from a base lookup: the keys a device was provisioned with. Not
 * thread-safe: its owner guards it.
 */
public final class TrustHistory implements TrustLookup {

    private final TrustLookup base;
    /** Keys the events made or changed, which stand before the base's. */
    private final Map<String, TrustedKey> keys = new LinkedHashMap<>();

    /** Keys from the events only: the platform's trust store. */
    public TrustHistory() {
        this(did -> Optional.empty());
    }

    /** Keys from the events, over those {@code base} knows: a device's provisioned keys. */
    public TrustHistory(TrustLookup base) {
        this.base = base;
    }

    /** A copy, which the events applied to it do not change in this one. */
    public TrustHistory copy() {
        TrustHistory copy = new TrustHistory(base);
        copy.keys.putAll(keys);
        return copy;
    }

    @Override
    public Optional<TrustedKey> find(String did) throws TrustException {
        TrustedKey changed = keys.get(did);
        return changed != null ? Optional.of(changed) : base.find(did);
    }

    /** The keys the events made or changed, in the order they first did. */
    public List<TrustedKey> changed() {
        return new ArrayList<>(keys.values());
    }

    /** Forgets every event applied: the base's keys stand alone again. */
    public void clear() {
        keys.clear();
    }

    /**
     * Applies a decoded trust event ({@link TrustEvents#decode}) recorded at {@code index} at {@code time}.
     *
     * @return whether it changed anything
     */
    public boolean apply(Record change, Instant time, long index) throws TrustException {
        if (change instanceof TrustEvents.KeyRegistered r) {
            if (find(r.did()).isPresent()) {
                return false;
            }
            keys.put(r.did(), new TrustedKey(r.did(), r.vendor(), r.deviceClasses(), KeyStatus.ACTIVE, time, null,
                    null, index));
            return true;
        }
        if (change instanceof TrustEvents.KeyRotated r) {
            TrustedKey old = find(r.did()).orElse(null);
            if (old == null || old.status() != KeyStatus.ACTIVE) {
                return false;
            }
            keys.put(r.did(), new TrustedKey(old.did(), old.vendor(), old.deviceClasses(), KeyStatus.ROTATED, time,
                    r.successor(), null, index));
            if (find(r.successor()).isEmpty()) {
                keys.put(r.successor(), new TrustedKey(r.successor(), old.vendor(), old.deviceClasses(),
                        KeyStatus.ACTIVE, time, null, null, index));
            }
            return true;
        }
        if (change instanceof TrustEvents.KeyRevoked r) {
            TrustedKey old = find(r.did()).orElse(null);
            if (old == null || old.status() == KeyStatus.REVOKED) {
                return false;
            }
            keys.put(r.did(), new TrustedKey(old.did(), old.vendor(), old.deviceClasses(), KeyStatus.REVOKED, time,
                    old.successor(), r.reason(), index));
            return true;
        }
        throw new IllegalArgumentException("not a trust event: " + change);
    }

    /**
     * The keys the events made or changed, as a view snapshot's CBOR value ({@link #restoreState} reads it back);
     * the base's keys are not part of it.
     */
    public List<Object> snapshotState() {
        List<Object> out = new ArrayList<>();
        for (TrustedKey k : keys.values()) {
            List<Object> classes = new ArrayList<>(new TreeSet<>(k.deviceClasses()));
            out.add(Arrays.asList(k.did(), k.vendor(), classes, k.status().name(), SnapshotValues.instant(k.changed()),
                    k.successor(), k.reason(), k.ledgerIndex()));
        }
        return out;
    }

    /** Replaces the keys the events made or changed with those of a {@link #snapshotState()}. */
    public void restoreState(Object state) throws CborException {
        Map<String, TrustedKey> read = new LinkedHashMap<>();
        for (Object o : SnapshotValues.list(state, -1)) {
            List<?> k = SnapshotValues.list(o, 8);
            Set<String> classes = new LinkedHashSet<>();
            for (Object c : SnapshotValues.list(k.get(2), -1)) {
                classes.add(SnapshotValues.text(c));
            }
            KeyStatus status;
            try {
                status = KeyStatus.valueOf(SnapshotValues.text(k.get(3)));
            } catch (IllegalArgumentException e) {
                throw new CborException("view state: unknown key status " + k.get(3));
            }
            String did = SnapshotValues.text(k.get(0));
            read.put(did, new TrustedKey(did, SnapshotValues.text(k.get(1)), classes, status,
                    SnapshotValues.instant(k.get(4)), SnapshotValues.optionalText(k.get(5)),
                    SnapshotValues.optionalText(k.get(6)), SnapshotValues.integer(k.get(7))));
        }
        keys.clear();
        keys.putAll(read);
    }
}
