package org.updraft.api.retention;

import java.time.Instant;
import java.util.List;

import org.updraft.api.multiformats.Cid;

/**
 * What a retention run decided and did.
 *
 * @param releases one line per release, oldest first
 * @param keepPerClass the setting the run used
 * @param at when it ran
 * @param dryRun whether it only looked
 */
public record RetentionReport(List<Entry> releases, int keepPerClass, Instant at, boolean dryRun) {

    public RetentionReport {
        releases = List.copyOf(releases);
    }

    /** What happened to a release's image in the store. */
    public enum Action {
        /** Kept; it was pinned already. */
        KEPT,
        /** Kept, and pinned again: it had been unpinned. */
        PINNED_AGAIN,
        /** Unpinned by this run. */
        UNPINNED,
        /** A dry run: it would be unpinned. */
        WOULD_UNPIN,
        /** Not needed and not pinned any more (an earlier run unpinned it). */
        ALREADY_UNPINNED,
        /** The store does not hold it (collected, or never there). */
        NOT_IN_STORE,
        /** Unpinning or pinning failed; {@link Entry#detail()} says why. */
        FAILED
    }

    /**
     * One release.
     *
     * @param releaseId {@code vendor/class/sequence}
     * @param cid its image
     * @param keep what the rule says
     * @param why the rule's reasons
     * @param action what the run did in the store
     * @param detail the store's error for {@link Action#FAILED}, else {@code null}
     */
    public record Entry(String releaseId, Cid cid, boolean keep, String why, Action action, String detail) {
    }

    public long count(Action action) {
        return releases.stream().filter(e -> e.action() == action).count();
    }
}
