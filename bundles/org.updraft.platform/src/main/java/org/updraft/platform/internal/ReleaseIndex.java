package org.updraft.platform.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.SignedManifest;

/**
 * The published releases, as the replay of the ledger's {@code release.published} events: nothing about a
 * release is stored anywhere but on the ledger. Not thread-safe; its owner synchronizes.
 */
final class ReleaseIndex {

    private static final Logger LOG = LoggerFactory.getLogger(ReleaseIndex.class);

    private final Map<String, Release> releases = new LinkedHashMap<>();
    private final Map<String, Long> latestSequence = new HashMap<>();
    private final LedgerFollower follower;

    ReleaseIndex(Ledger ledger) {
        this.follower = new LedgerFollower(ledger, this::apply, () -> {
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
        Release release = new Release(m.releaseId(), m.vendor(), m.deviceClass(), m.profile(), m.version(),
                m.sequence(), m.size(), m.sha256(), m.cid(), m.signer(), m.created(), event.time(), entry.index(),
                signed.bytes());
        releases.putIfAbsent(release.id(), release);
        latestSequence.merge(classKey(m.vendor(), m.deviceClass()), m.sequence(), Math::max);
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
