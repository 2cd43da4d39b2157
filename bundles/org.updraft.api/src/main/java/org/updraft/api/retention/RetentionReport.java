package org.updraft.api.retention;

import java.time.Instant;
import java.util.List;

import org.updraft.api.multiformats.Cid;

/**
 * What a retention run decided and did.
 *
 * @param releases one line per release, oldest first
 * @param orphans one line per pinned object of the store that nothing references (no release), e.g. the image
 *        of a publish that crashed before the ledger recorded its release
 * @param keepPerClass the setting the run used
 * @param at when it ran
 * @param dryRun whether it only looked
 * @since 1.1
 */
public record RetentionReport(List<Entry> releases, List<Orphan> orphans, int keepPerClass, Instant at,
        boolean dryRun) {

    public RetentionReport {
        releases = List.copyOf(releases);
        orphans = List.copyOf(orphans);
    }

    /** A report without orphans (from a service that does not look for them). */
    public RetentionReport(List<Entry> releases, int keepPerClass, Instant at, boolean dryRun) {
        this(releases, List.of(), keepPerClass, at, dryRun);
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

    /**
     * A pinned object nothing references. It is unpinned once it has been unreferenced for the grace period (a
     * publish in progress has stored its image and not recorded its release yet).
     *
     * @param cid the object
     * @param size its size in bytes
     * @param unreferencedSince when retention first saw it unreferenced
     * @param action {@link Action#KEPT} within the grace period, else {@link Action#WOULD_UNPIN} (a dry run),
     *        {@link Action#UNPINNED} or {@link Action#FAILED}
     * @param why the reason, for operators
     * @param detail the store's error for {@link Action#FAILED}, else {@code null}
     * @since 1.1
     */
    public record Orphan(Cid cid, long size, Instant unreferencedSince, Action action, String why, String detail) {
    }

    /** Releases whose image got the action (orphans not counted). */
    public long count(Action action) {
        return releases.stream().filter(e -> e.action() == action).count();
    }

    /** Orphans that got the action. */
    public long orphanCount(Action action) {
        return orphans.stream().filter(o -> o.action() == action).count();
    }
}
