package org.updraft.rollout.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;

/**
 * The retention rule, in one place: which releases still need their image in the serving store.
 *
 * <p>A release is <b>kept</b> when at least one of these holds:
 * <ol>
 * <li>it is among the newest {@code keepPerClass} releases of its vendor and device class, by sequence
 * number;</li>
 * <li>a rollout of it is neither completed nor cancelled (draft, running or paused: a paused rollout lets
 * devices that are downloading finish, and can be resumed);</li>
 * <li>a device in the registry runs it: same vendor and device class, installed sequence equal to the
 * release's (a device that failed or rolled back runs its old image, which is kept by this rule);</li>
 * <li>a device in the registry was offered it ({@code rollout.offered} on the ledger) and has not reported a
 * final state for it (installed, failed, rolled back), whatever the rollout's state now: it may still be
 * downloading, or resume a download later;</li>
 * <li>its image (CID) is the image of a release kept by one of the rules above.</li>
 * </ol>
 * Every other release is <b>released</b>: its image may be unpinned. Devices removed from the registry count
 * for nothing. The rule never looks at the store: an image the store lacks is simply not there to unpin.
 *
 * <p>An object of the store is <b>referenced</b> ({@link #referenced}) when a release names it; one that is not
 * (an orphan) may be unpinned after a grace period.
 */
public final class RetentionRule {

    /**
     * What the fleet uses, read at one moment from the registry and the ledger.
     *
     * @param rollouts every rollout
     * @param runningDevices per release id ({@code vendor/class/sequence}), the registered devices that run it
     * @param unfinishedOffers per release id, the registered devices that were offered it and have not reported
     *        a final state for it
     */
    public record FleetUse(Collection<Rollout> rollouts, Map<String, Set<String>> runningDevices,
            Map<String, Set<String>> unfinishedOffers) {
        public FleetUse {
            rollouts = List.copyOf(rollouts);
            runningDevices = Map.copyOf(runningDevices);
            unfinishedOffers = Map.copyOf(unfinishedOffers);
        }
    }

    /**
     * The verdict on one release.
     *
     * @param release the release
     * @param keep whether its image stays pinned
     * @param reasons why it is kept, one phrase per rule that holds (empty when it is released)
     */
    public record Verdict(Release release, boolean keep, List<String> reasons) {
        public Verdict {
            reasons = List.copyOf(reasons);
        }

        /** The reasons in one line, or why it may go. */
        public String why() {
            return keep ? String.join("; ", reasons) : "older than the newest of its class, needed by no rollout or device";
        }
    }

    private RetentionRule() {
    }

    /**
     * Applies the rule to every release.
     *
     * @param releases all published releases
     * @param keepPerClass how many of the newest releases of each vendor/device class are kept anyway, 0 or more
     * @return one verdict per release, in the order given
     */
    public static List<Verdict> decide(List<Release> releases, int keepPerClass, FleetUse use) {
        Objects.requireNonNull(use, "use");
        if (keepPerClass < 0) {
            throw new IllegalArgumentException("keep.per.class must be 0 or more, not " + keepPerClass);
        }
        Map<String, List<Release>> byClass = new HashMap<>();
        for (Release r : releases) {
            byClass.computeIfAbsent(r.vendor() + "/" + r.deviceClass(), k -> new ArrayList<>()).add(r);
        }
        Map<String, Integer> rank = new HashMap<>();
        for (List<Release> list : byClass.values()) {
            list.sort(Comparator.comparingLong(Release::sequence).reversed());
            for (int i = 0; i < list.size(); i++) {
                rank.put(list.get(i).id(), i);
            }
        }
        Map<String, List<String>> liveRollouts = new HashMap<>();
        for (Rollout r : use.rollouts()) {
            if (!r.state().isFinal()) {
                liveRollouts.computeIfAbsent(r.releaseId(), k -> new ArrayList<>())
                        .add(r.id() + " is " + r.state().name().toLowerCase(Locale.ROOT));
            }
        }

        Map<String, List<String>> reasons = new LinkedHashMap<>();
        Map<Cid, String> keptImages = new HashMap<>();
        for (Release r : releases) {
            List<String> why = new ArrayList<>();
            if (rank.get(r.id()) < keepPerClass) {
                why.add("one of the newest " + keepPerClass + " of " + r.vendor() + "/" + r.deviceClass());
            }
            for (String rollout : liveRollouts.getOrDefault(r.id(), List.of())) {
                why.add("rollout " + rollout);
            }
            devices(why, use.runningDevices().get(r.id()), "run it", "runs it");
            devices(why, use.unfinishedOffers().get(r.id()), "were offered it and have not finished",
                    "was offered it and has not finished");
            reasons.put(r.id(), why);
            if (!why.isEmpty()) {
                keptImages.putIfAbsent(r.cid(), r.id());
            }
        }
        List<Verdict> verdicts = new ArrayList<>();
        for (Release r : releases) {
            List<String> why = reasons.get(r.id());
            if (why.isEmpty() && keptImages.containsKey(r.cid())) {
                why = List.of("same image as kept release " + keptImages.get(r.cid()));
            }
            verdicts.add(new Verdict(r, !why.isEmpty(), why));
        }
        return verdicts;
    }

    /**
     * The objects of the store that something references, decided here only: the image of every release on the
     * ledger, and of every release the release service lists, and the patch of every delta to a kept release. The
     * patches of deltas to a release not kept are unreferenced: without its image no device is offered them, so
     * they go as orphans do, after the grace period.
     *
     * @param releaseImagesOnLedger the images of the ledger's {@code release.published} events, as replayed
     * @param releases the releases the release service lists
     * @param patchesTo per release id, the patches of the deltas recorded to it
     * @param kept the ids of the releases kept
     */
    public static Set<Cid> referenced(Collection<Cid> releaseImagesOnLedger, List<Release> releases,
            Map<String, Set<Cid>> patchesTo, Set<String> kept) {
        Set<Cid> referenced = new HashSet<>(releaseImagesOnLedger);
        for (Release r : releases) {
            referenced.add(r.cid());
        }
        for (String id : kept) {
            referenced.addAll(patchesTo.getOrDefault(id, Set.of()));
        }
        return referenced;
    }

    private static void devices(List<String> why, Set<String> ids, String many, String one) {
        if (ids == null || ids.isEmpty()) {
            return;
        }
        String first = new TreeSet<>(ids).first();
        why.add(ids.size() == 1 ? "device " + first + " " + one
                : ids.size() + " devices " + many + " (" + first + ", …)");
    }
}
