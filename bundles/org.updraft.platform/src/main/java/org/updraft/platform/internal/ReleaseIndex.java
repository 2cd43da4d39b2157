package org.updraft.platform.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.release.Release;
import org.updraft.core.cbor.CborException;
import org.updraft.core.log.LedgerFollower;
import org.updraft.core.log.SnapshotValues;
import org.updraft.core.log.SnapshotView;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.ManifestFormatException;
import org.updraft.core.manifest.SignedManifest;

/**
 * The published releases, as the replay of the ledger's {@code release.published} events: nothing about a
 * release is stored anywhere but on the ledger. Not thread-safe; its owner synchronizes.
 */
final class ReleaseIndex implements SnapshotView {

    private static final Logger LOG = LoggerFactory.getLogger(ReleaseIndex.class);

    private final Map<String, Release> releases = new LinkedHashMap<>();
    private final Map<String, Long> latestSequence = new HashMap<>();
    private final LedgerFollower follower;

    ReleaseIndex(Ledger ledger) {
        this.follower = new LedgerFollower(ledger, this, this::apply, () -> {
            releases.clear();
            latestSequence.clear();
        });
    }

    /** Applies the events appended since the last call. */
    void catchUp() throws LedgerException {
        follower.catchUp();
    }

    private void apply(LedgerEntry entry) {
        LedgerEvent event = entry.event();
        if (!EventTypes.RELEASE_PUBLISHED.equals(event.type())) {
            return;
        }
        SignedManifest signed;
        try {
            signed = ReleaseEvents.decodePublished(event.payload());
        } catch (CborException e) {
            LOG.error("Ignoring unreadable release event #{}: {}", entry.index(), e.getMessage());
            return;
        }
        Manifest m = signed.manifest();
        releases.putIfAbsent(m.releaseId(), release(signed, event.time(), entry.index()));
        latestSequence.merge(classKey(m.vendor(), m.deviceClass()), m.sequence(), Math::max);
    }

    private static Release release(SignedManifest signed, Instant published, long index) {
        Manifest m = signed.manifest();
        return new Release(m.releaseId(), m.vendor(), m.deviceClass(), m.profile(), m.version(), m.sequence(),
                m.size(), m.sha256(), m.cid(), m.signer(), m.created(), published, index, signed.bytes());
    }

    @Override
    public String snapshotName() {
        return "releases";
    }

    @Override
    public int snapshotVersion() {
        return 1;
    }

    /** Each release as its signed manifest, publication time and index; each class's highest sequence. */
    @Override
    public Object snapshotState() {
        List<Object> out = new ArrayList<>();
        for (Release r : releases.values()) {
            out.add(List.of(r.manifest(), SnapshotValues.instant(r.published()), r.ledgerIndex()));
        }
        Map<Object, Object> sequences = new TreeMap<>(latestSequence);
        return List.of(out, sequences);
    }

    @Override
    public void restoreState(Object state) throws CborException {
        List<?> parts = SnapshotValues.list(state, 2);
        Map<String, Release> read = new LinkedHashMap<>();
        for (Object o : SnapshotValues.list(parts.get(0), -1)) {
            List<?> r = SnapshotValues.list(o, 3);
            SignedManifest signed;
            try {
                signed = ManifestCodec.parse(SnapshotValues.bytes(r.get(0)));
            } catch (ManifestFormatException e) {
                throw new CborException("view state: a release's manifest is unreadable: " + e.getMessage());
            }
            Release release = release(signed, SnapshotValues.instant(r.get(1)), SnapshotValues.integer(r.get(2)));
            read.put(release.id(), release);
        }
        if (!(parts.get(1) instanceof Map<?, ?> sequences)) {
            throw new CborException("view state: expected a map of sequences");
        }
        Map<String, Long> readSequences = new HashMap<>();
        for (Map.Entry<?, ?> e : sequences.entrySet()) {
            readSequences.put(SnapshotValues.text(e.getKey()), SnapshotValues.integer(e.getValue()));
        }
        releases.clear();
        releases.putAll(read);
        latestSequence.clear();
        latestSequence.putAll(readSequences);
    }

    List<Release> list() {
        return new ArrayList<>(releases.values());
    }

    Optional<Release> find(String id) {
        return Optional.ofNullable(releases.get(id));
    }

    /** The highest sequence published for the vendor's device class, or -1 when none was. */
    long latestSequence(String vendor, String deviceClass) {
        return latestSequence.getOrDefault(classKey(vendor, deviceClass), -1L);
    }

    long replayed() {
        return follower.followed();
    }

    private static String classKey(String vendor, String deviceClass) {
        return vendor + "/" + deviceClass;
    }
}
