package org.updraft.platform.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.delta.Delta;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.SnapshotValues;
import org.updraft.core.log.SnapshotView;

/**
 * The recorded deltas, as the replay of the ledger's {@code delta.published} events: the first recorded for a base,
 * target and codec is the one that counts. Not thread-safe; its owner synchronizes.
 */
final class DeltaIndex implements SnapshotView {

    private static final Logger LOG = LoggerFactory.getLogger(DeltaIndex.class);

    private final Map<String, Delta> deltas = new LinkedHashMap<>();
    private final LedgerFollower follower;

    DeltaIndex(Ledger ledger) {
        this.follower = new LedgerFollower(ledger, this, this::apply, deltas::clear);
    }

    void catchUp() throws LedgerException {
        follower.catchUp();
    }

    private void apply(LedgerEntry entry) {
        if (!EventTypes.DELTA_PUBLISHED.equals(entry.event().type())) {
            return;
        }
        try {
            Delta d = DeltaEvents.decodePublished(entry.event().payload(), entry.index());
            deltas.putIfAbsent(key(d.fromRelease(), d.toRelease(), d.codec()), d);
        } catch (CborException e) {
            LOG.error("Ignoring unreadable delta event #{}: {}", entry.index(), e.getMessage());
        }
    }

    @Override
    public String snapshotName() {
        return "deltas";
    }

    @Override
    public int snapshotVersion() {
        return 1;
    }

    /** Each delta as its event's payload and index. */
    @Override
    public Object snapshotState() {
        List<Object> out = new ArrayList<>();
        for (Delta d : deltas.values()) {
            out.add(List.of(DeltaEvents.published(d), d.ledgerIndex()));
        }
        return out;
    }

    @Override
    public void restoreState(Object state) throws CborException {
        Map<String, Delta> read = new LinkedHashMap<>();
        for (Object o : SnapshotValues.list(state, -1)) {
            List<?> d = SnapshotValues.list(o, 2);
            Delta delta = DeltaEvents.decodePublished(SnapshotValues.bytes(d.get(0)), SnapshotValues.integer(d.get(1)));
            read.put(key(delta.fromRelease(), delta.toRelease(), delta.codec()), delta);
        }
        deltas.clear();
        deltas.putAll(read);
    }

    Optional<Delta> find(String from, String to, String codec) {
        return Optional.ofNullable(deltas.get(key(from, to, codec)));
    }

    List<Delta> list() {
        return new ArrayList<>(deltas.values());
    }

    private static String key(String from, String to, String codec) {
        return from + "\n" + to + "\n" + codec;
    }
}
