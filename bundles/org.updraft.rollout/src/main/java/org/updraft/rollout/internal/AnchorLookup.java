package org.updraft.rollout.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchor;
import org.updraft.api.ledger.ReleaseAnchors;

/**
 * Where releases are on a blockchain, for offers to carry (when a {@link ReleaseAnchors} source is bound). The chain
 * is asked in the background, never during a check, at most once per interval per release; an anchor found is kept
 * (a release recorded on chain stays where it is) and handed to whoever makes the offers.
 */
final class AnchorLookup {

    private static final Logger LOG = LoggerFactory.getLogger(AnchorLookup.class);

    private final Executor lookups;
    private final long retryNanos;
    private final AtomicReference<ReleaseAnchors> source = new AtomicReference<>();
    /** Anchors found, per release id. */
    private final Map<String, ReleaseAnchor> found = new ConcurrentHashMap<>();
    /** When the chain was last asked about a release not found yet (System.nanoTime). */
    private final Map<String, Long> asked = new ConcurrentHashMap<>();
    private volatile BiConsumer<String, ReleaseAnchor> onFound = this::keep;
    private volatile boolean closed;

    /**
     * @param lookups where the chain is asked (the rollout bundle's scheduler)
     * @param retry how long before a release not found is asked about again
     */
    AnchorLookup(Executor lookups, Duration retry) {
        this.lookups = lookups;
        this.retryNanos = retry.toNanos();
    }

    /**
     * Who is told of an anchor found; it must {@link #keep} it (under whatever lock its offers are made) before
     * it makes offers with it.
     */
    void onFound(BiConsumer<String, ReleaseAnchor> handler) {
        this.onFound = handler;
    }

    void bind(ReleaseAnchors anchors) {
        source.set(anchors);
        asked.clear(); // a new source: ask it at once
    }

    void unbind(ReleaseAnchors anchors) {
        source.compareAndSet(anchors, null);
    }

    /** The release's anchor when it has been found. */
    ReleaseAnchor anchorOf(String releaseId) {
        return found.get(releaseId);
    }

    void keep(String releaseId, ReleaseAnchor anchor) {
        found.put(releaseId, anchor);
        asked.remove(releaseId);
    }

    /** Asks the chain in the background about a release not found yet, unless it was asked within the interval. */
    void lookUp(String releaseId) {
        ReleaseAnchors anchors = source.get();
        if (anchors == null || closed || found.containsKey(releaseId)) {
            return;
        }
        long now = System.nanoTime();
        Long last = asked.get(releaseId);
        if (last != null && now - last < retryNanos || !claim(releaseId, last, now)) {
            return;
        }
        try {
            lookups.execute(() -> find(anchors, releaseId));
        } catch (RejectedExecutionException e) {
            LOG.debug("No anchor lookup for {}: the service is stopping", releaseId);
        }
    }

    /** Stops handing anchors on; lookups under way end without effect. */
    void close() {
        closed = true;
    }

    /** Claims the lookup of a release (one thread wins when several checks race). */
    private boolean claim(String releaseId, Long last, long now) {
        return last == null ? asked.putIfAbsent(releaseId, now) == null : asked.replace(releaseId, last, now);
    }

    private void find(ReleaseAnchors anchors, String releaseId) {
        if (closed) {
            return;
        }
        ReleaseAnchor anchor;
        try {
            anchor = anchors.find(releaseId).orElse(null);
        } catch (LedgerException | RuntimeException e) {
            LOG.debug("Where release {} is on chain is unknown for now: {}", releaseId, e.getMessage());
            return;
        }
        if (anchor == null || closed) {
            return;
        }
        LOG.info("Release {} is in block {} of chain {} (transaction {}, log {})", releaseId, anchor.blockNumber(),
                anchor.chainId(), anchor.transactionHash(), anchor.logIndex());
        onFound.accept(releaseId, anchor);
    }
}
