package org.updraft.rollout.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.RegistryException;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.delta.Delta;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.retention.ReleaseRetention;
import org.updraft.api.retention.RetentionException;
import org.updraft.api.retention.RetentionReport;
import org.updraft.api.retention.RetentionReport.Action;
import org.updraft.api.retention.RetentionReport.Entry;
import org.updraft.api.retention.RetentionReport.Orphan;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.rollout.internal.RetentionRule.FleetUse;
import org.updraft.rollout.internal.RetentionRule.Verdict;

/**
 * Applies the {@link RetentionRule} to the serving store, every {@code interval.minutes} when enabled and on
 * demand ({@code updraft:store-retain}). What the fleet uses comes from the registry (who runs what) and from
 * the rollout engine's replay of the ledger (every rollout, every offer and report), so it agrees with the
 * rollout service of every node sharing the ledger.
 *
 * <p>A rollout created while a run is deciding may find its release's image unpinned; the next run pins it
 * again, and until the store collects it (the local store at its next start, an IPFS node at its next garbage
 * collection) the image is still served.
 *
 * <p>It also unpins orphans: pinned objects that no release references ({@link RetentionRule#referenced}), such
 * as the image of a publish that crashed after the store kept it and before the ledger recorded the release. The
 * store gives no object's age, so an orphan's grace period counts from the run that first found it unreferenced
 * (a restart of this component starts it again): a publish in progress has stored its image but not recorded its
 * release yet, and the grace period lets it finish.
 */
// immediate: the schedule must run whether or not anyone asks for the service
@Component(service = ReleaseRetention.class, configurationPid = ImageRetention.PID, immediate = true)
@Designate(ocd = ImageRetention.Config.class)
public final class ImageRetention implements ReleaseRetention {

    /** Configuration PID: etc/org.updraft.retention.cfg. */
    public static final String PID = "org.updraft.retention";

    @ObjectClassDefinition(name = "Updraft release retention",
            description = "Unpins the images of releases beyond the newest of each device class that no rollout "
                    + "and no device needs any more, and objects no release references, so the store may collect them.")
    public @interface Config {
        @AttributeDefinition(name = "Keep per class",
                description = "The newest releases of each vendor/device class (by sequence) kept whatever else.")
        int keep_per_class() default 3;

        @AttributeDefinition(name = "Interval (minutes)", description = "Time between two scheduled runs; the "
                + "first runs one interval after start.")
        long interval_minutes() default 60;

        @AttributeDefinition(name = "Enabled", description = "Run on the schedule. updraft:store-retain runs it "
                + "on demand either way.")
        boolean enabled() default true;

        @AttributeDefinition(name = "Firmware store", description = "Filter choosing the store whose images are "
                + "unpinned: the store that serves devices.")
        String store_target() default FirmwareStore.SERVING;

        @AttributeDefinition(name = "Orphan grace period (minutes)", description = "How long a pinned object that "
                + "no release references stays pinned, from the run that first found it so (a publish in progress "
                + "has stored its image and not recorded its release yet). 1 or more.")
        long orphan_grace_minutes() default 60;

        @AttributeDefinition(name = "Unpin orphans", description = "Unpin objects no release references once their "
                + "grace period is over. false when the store's node also pins other applications' objects (an "
                + "IPFS node shared with them): orphans are then only reported.")
        boolean orphan_unpin() default true;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ImageRetention.class);
    private static final int PAGE = 1000;

    /** What the ledger says, read at one moment under the engine's lock. */
    private record LedgerUse(List<Rollout> rollouts, Map<String, Set<String>> offered, Set<Cid> releaseImages,
            Map<String, Set<Cid>> patchesTo) {
    }

    private final RolloutEngine engine;
    private final FirmwareStore store;
    private final ReleaseService releases;
    private final int keepPerClass;
    private final Duration orphanGrace;
    private final boolean orphanUnpin;
    private final ScheduledFuture<?> schedule;
    /** Orphans seen by a run, and since when; guarded by this. */
    private final Map<Cid, Instant> unreferencedSince = new HashMap<>();

    @Activate
    public ImageRetention(Config config, @Reference(name = "engine") RolloutEngineComponent engine,
            @Reference(name = "store") FirmwareStore store, @Reference(name = "releases") ReleaseService releases) {
        if (config.keep_per_class() < 0) {
            throw new IllegalArgumentException("configuration " + PID + ": keep.per.class must be 0 or more, not "
                    + config.keep_per_class());
        }
        if (config.enabled() && config.interval_minutes() < 1) {
            throw new IllegalArgumentException("configuration " + PID + ": interval.minutes must be 1 or more, not "
                    + config.interval_minutes());
        }
        if (config.orphan_grace_minutes() < 1) {
            throw new IllegalArgumentException("configuration " + PID + ": orphan.grace.minutes must be 1 or more, "
                    + "not " + config.orphan_grace_minutes());
        }
        this.engine = engine.engine();
        this.store = store;
        this.releases = releases;
        this.keepPerClass = config.keep_per_class();
        this.orphanGrace = Duration.ofMinutes(config.orphan_grace_minutes());
        this.orphanUnpin = config.orphan_unpin();
        if (config.enabled()) {
            schedule = engine.scheduler().scheduleWithFixedDelay(this::scheduled, config.interval_minutes(),
                    config.interval_minutes(), TimeUnit.MINUTES);
            LOG.info("Release retention: every {} minutes, keeping the newest {} per device class and every release "
                    + "a rollout or device needs; objects no release references are {} after {} minutes",
                    config.interval_minutes(), keepPerClass, orphanUnpin ? "unpinned" : "reported",
                    config.orphan_grace_minutes());
        } else {
            schedule = null;
            LOG.info("Release retention: not scheduled (enabled=false); updraft:store-retain runs it");
        }
    }

    @Deactivate
    void stop() {
        if (schedule != null) {
            schedule.cancel(true);
        }
    }

    private void scheduled() {
        try {
            RetentionReport report = run(false);
            LOG.info("Release retention: {} releases kept, {} unpinned now, {} failed; objects no release references: "
                    + "{} unpinned now, {} in their grace period, {} failed", report.releases().stream()
                    .filter(Entry::keep).count(), report.count(Action.UNPINNED), report.count(Action.FAILED),
                    report.orphanCount(Action.UNPINNED), report.orphanCount(Action.KEPT),
                    report.orphanCount(Action.FAILED));
        } catch (RetentionException | RuntimeException e) {
            LOG.warn("Release retention did not run: {}", e.getMessage());
        }
    }

    @Override
    public synchronized RetentionReport run(boolean dryRun) throws RetentionException {
        // the store's objects before the ledger's releases: an image stored meanwhile, with its release recorded
        // before the ledger is read, is referenced; one whose release is not recorded yet gets its grace period
        List<ObjectStat> pinned;
        try {
            pinned = store.list();
        } catch (StoreException e) {
            throw new RetentionException("cannot list the store's objects: " + e.getMessage(), e);
        }
        LedgerUse ledger = ledgerUse();
        FleetUse use = fleetUse(ledger);
        List<Release> all = releases.list();
        List<Entry> entries = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        for (Verdict v : RetentionRule.decide(all, keepPerClass, use)) {
            entries.add(apply(v, dryRun));
            if (v.keep()) {
                kept.add(v.release().id());
            }
        }
        Instant now = engine.now();
        List<Orphan> orphans = orphans(pinned, RetentionRule.referenced(ledger.releaseImages(), all,
                ledger.patchesTo(), kept), dryRun, now);
        return new RetentionReport(entries, orphans, keepPerClass, now, dryRun);
    }

    private Entry apply(Verdict v, boolean dryRun) {
        Release r = v.release();
        Optional<ObjectStat> stat;
        try {
            stat = store.stat(r.cid());
        } catch (StoreException e) {
            return entry(v, Action.FAILED, e.getMessage());
        }
        if (stat.isEmpty()) {
            if (v.keep()) {
                LOG.warn("Release retention: {} is kept ({}) but the store does not hold its image {}", r.id(),
                        v.why(), r.cid());
            }
            return entry(v, Action.NOT_IN_STORE, null);
        }
        boolean pinnedNow = stat.get().pinned();
        if (v.keep()) {
            if (pinnedNow || dryRun) {
                return entry(v, pinnedNow ? Action.KEPT : Action.PINNED_AGAIN, null);
            }
            try {
                store.pin(r.cid());
                LOG.info("Release retention pinned {} ({}) again: {}", r.id(), r.cid(), v.why());
                return entry(v, Action.PINNED_AGAIN, null);
            } catch (StoreException e) {
                LOG.warn("Release retention could not pin {} ({}) again: {}", r.id(), r.cid(), e.getMessage());
                return entry(v, Action.FAILED, e.getMessage());
            }
        }
        if (!pinnedNow) {
            return entry(v, Action.ALREADY_UNPINNED, null);
        }
        if (dryRun) {
            return entry(v, Action.WOULD_UNPIN, null);
        }
        try {
            store.unpin(r.cid());
            LOG.info("Release retention unpinned {} ({}, {} bytes): {}", r.id(), r.cid(), r.size(), v.why());
            return entry(v, Action.UNPINNED, null);
        } catch (StoreException e) {
            LOG.warn("Release retention could not unpin {} ({}): {}", r.id(), r.cid(), e.getMessage());
            return entry(v, Action.FAILED, e.getMessage());
        }
    }

    private static Entry entry(Verdict v, Action action, String detail) {
        return new Entry(v.release().id(), v.release().cid(), v.keep(), v.why(), action, detail);
    }

    /**
     * The pinned objects nothing references: each is kept for the grace period from the first run (a dry run
     * too) that found it unreferenced, then unpinned. One referenced again, or no longer pinned, is forgotten.
     */
    private List<Orphan> orphans(List<ObjectStat> pinned, Set<Cid> referenced, boolean dryRun, Instant now) {
        List<Orphan> orphans = new ArrayList<>();
        Set<Cid> unreferenced = new HashSet<>();
        for (ObjectStat object : pinned) {
            Cid cid = object.cid();
            if (referenced.contains(cid) || !unreferenced.add(cid)) {
                continue;
            }
            Instant since = unreferencedSince.computeIfAbsent(cid, k -> now);
            Instant due = since.plus(orphanGrace);
            String why = "no release references it since " + since;
            if (now.isBefore(due)) {
                orphans.add(new Orphan(cid, object.size(), since, Action.KEPT,
                        why + "; grace period (" + orphanGrace.toMinutes() + " min) until " + due, null));
            } else if (!orphanUnpin) {
                orphans.add(new Orphan(cid, object.size(), since, Action.KEPT, why + "; orphan.unpin is false", null));
            } else if (dryRun) {
                orphans.add(new Orphan(cid, object.size(), since, Action.WOULD_UNPIN, why, null));
            } else {
                try {
                    store.unpin(cid);
                    LOG.info("Release retention unpinned {} ({} bytes): {}, more than {} minutes", cid, object.size(),
                            why, orphanGrace.toMinutes());
                    orphans.add(new Orphan(cid, object.size(), since, Action.UNPINNED, why, null));
                } catch (StoreException e) {
                    LOG.warn("Release retention could not unpin {}, which no release references: {}", cid,
                            e.getMessage());
                    orphans.add(new Orphan(cid, object.size(), since, Action.FAILED, why, e.getMessage()));
                }
            }
        }
        unreferencedSince.keySet().retainAll(unreferenced);
        return orphans;
    }

    /** Rollouts, offers and release images from the engine's replay of the ledger, caught up first. */
    private LedgerUse ledgerUse() throws RetentionException {
        List<Rollout> rollouts = new ArrayList<>();
        Map<String, Set<String>> offered = new HashMap<>();
        Map<String, Set<Cid>> patchesTo = new HashMap<>();
        Set<Cid> images;
        synchronized (engine) {
            try {
                engine.catchUp();
            } catch (LedgerException e) {
                throw new RetentionException("cannot read the ledger: " + e.getMessage(), e);
            }
            for (RolloutRecord r : engine.book().rollouts()) {
                rollouts.add(r.toRollout());
                for (int i = 0; i < r.offerCount(); i++) {
                    String device = r.offeredDevice(i);
                    if (!r.offer(device).isFinal()) {
                        offered.computeIfAbsent(r.releaseId(), k -> new HashSet<>()).add(device);
                    }
                }
            }
            images = engine.book().releaseImages();
            for (Release r : releases.list()) {
                for (Delta d : engine.book().deltasTo(r.id())) {
                    patchesTo.computeIfAbsent(r.id(), k -> new HashSet<>()).add(d.patch());
                }
            }
        }
        engine.tellListeners(); // changes other nodes made, seen here first
        return new LedgerUse(rollouts, offered, images, patchesTo);
    }

    /** The ledger's rollouts and offers, then who is registered and what each device runs. */
    private FleetUse fleetUse(LedgerUse ledger) throws RetentionException {
        Set<String> registered = new HashSet<>();
        Map<String, Set<String>> running = new HashMap<>();
        try {
            String after = null;
            while (true) {
                List<Device> page = engine.registry.list(DeviceFilter.ALL, after, PAGE);
                for (Device d : page) {
                    registered.add(d.id());
                    running.computeIfAbsent(Release.id(d.vendor(), d.deviceClass(), d.installedSequence()),
                            k -> new HashSet<>()).add(d.id());
                }
                if (page.size() < PAGE) {
                    break;
                }
                after = page.get(page.size() - 1).id();
            }
        } catch (RegistryException e) {
            throw new RetentionException("cannot read the device registry: " + e.getMessage(), e);
        }
        // devices removed from the registry need nothing
        Map<String, Set<String>> offered = ledger.offered();
        offered.values().forEach(ids -> ids.retainAll(registered));
        return new FleetUse(ledger.rollouts(), running, offered);
    }
}
