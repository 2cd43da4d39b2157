package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.DeltaEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.api.retention.RetentionReport;
import org.updraft.api.retention.RetentionReport.Action;
import org.updraft.api.retention.RetentionReport.Entry;
import org.updraft.api.retention.RetentionReport.Orphan;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/** Retention on the real rollout and update services, the local ledger and a real local store. */
class ImageRetentionTest {

    @TempDir
    Path dir;

    private Platform p;
    private LocalFirmwareStore store;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir.resolve("platform"));
        store = openStore();
    }

    @AfterEach
    void close() {
        store.close();
        p.close();
    }

    private LocalFirmwareStore openStore() throws Exception {
        return new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
    }

    private ImageRetention retention(int keep) {
        return retention(Map.of("keep_per_class", keep));
    }

    private ImageRetention retention(Map<String, ?> settings) {
        Map<String, Object> config = new HashMap<>(settings);
        config.put("enabled", false);
        return new ImageRetention(Configs.of(ImageRetention.Config.class, config), p.engine, store, p.releases);
    }

    private static byte[] image(long seed) {
        byte[] image = new byte[5000];
        new Random(seed).nextBytes(image);
        return image;
    }

    /** Stores the image and records its release as the release service does, with the store's CID. */
    private Release publish(String deviceClass, long sequence, long imageSeed) throws Exception {
        byte[] image = image(imageSeed);
        return record(deviceClass, sequence, image, store.put(new ByteArrayInputStream(image)).cid());
    }

    /** Records the release of an image the store holds already (the second half of a publish). */
    private Release record(String deviceClass, long sequence, byte[] image, Cid cid) throws Exception {
        Manifest m = new Manifest(Platform.VENDOR, deviceClass, null, "2.0." + sequence, sequence, image.length,
                MessageDigest.getInstance("SHA-256").digest(image), cid, null, p.clock.instant(), p.vendorKey.did());
        byte[] signed = ManifestCodec.sign(m, p.vendorKey);
        p.ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, p.clock.instant(), p.vendorKey.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return p.releases.find(m.releaseId()).orElseThrow();
    }

    private void register(String id, long installedSequence) throws Exception {
        Device d = p.device(id, null, null);
        p.registry.register(d.withState(DeviceState.IDLE, "2.0." + installedSequence, installedSequence, null));
    }

    private Rollout running(Release release) throws Exception {
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL,
                List.of(new WaveSpec("all", WaveSelector.parse("percent:100"), 100, 50, false, null, 0))), "alice");
        return p.rollouts.start(r.id(), "alice");
    }

    private static Map<String, Entry> byRelease(RetentionReport report) {
        Map<String, Entry> m = new HashMap<>();
        report.releases().forEach(e -> m.put(e.releaseId(), e));
        return m;
    }

    private boolean pinned(Release r) throws Exception {
        return pinned(r.cid());
    }

    private boolean pinned(Cid cid) throws Exception {
        return store.stat(cid).orElseThrow().pinned();
    }

    @Test
    void onlyAReleaseNoOneNeedsIsUnpinned() throws Exception {
        Release r1 = publish("thermo", 1, 1);
        Release r2 = publish("thermo", 2, 2);
        Release r3 = publish("thermo", 3, 3);
        Release r4 = publish("thermo", 4, 4);
        Release r5 = publish("thermo", 5, 5);
        Release r6 = publish("thermo", 6, 6);
        Release valve = publish("valve", 1, 7);
        register("runs-2", 2);
        register("offered-3", 0);
        register("takes-4", 0);

        // release 3: offered to a device that started downloading, then its rollout was cancelled
        Rollout third = running(r3);
        UpdateAnswer answer = p.updates.check("offered-3", 0);
        assertTrue(answer instanceof UpdateAnswer.Offer, answer.toString());
        p.updates.report(p.report("offered-3", third.id(), r3.id(), DeviceState.DOWNLOADING, 0));
        p.rollouts.cancel(third.id(), "alice", "wrong wave plan");
        // release 4: a rollout is running
        Rollout fourth = running(r4);

        ImageRetention retention = retention(2);
        RetentionReport dry = retention.run(true);
        Map<String, Entry> d = byRelease(dry);
        assertEquals(Action.WOULD_UNPIN, d.get(r1.id()).action(), d.get(r1.id()).toString());
        assertTrue(pinned(r1), "a dry run unpins nothing");

        RetentionReport report = retention.run(false);
        Map<String, Entry> e = byRelease(report);
        assertEquals(Action.UNPINNED, e.get(r1.id()).action());
        assertFalse(e.get(r1.id()).keep());
        assertFalse(pinned(r1));
        assertEquals("device runs-2 runs it", e.get(r2.id()).why());
        assertEquals("device offered-3 was offered it and has not finished", e.get(r3.id()).why());
        assertEquals("rollout " + fourth.id() + " is running", e.get(r4.id()).why());
        assertEquals("one of the newest 2 of acme/thermo", e.get(r5.id()).why());
        assertEquals("one of the newest 2 of acme/thermo", e.get(r6.id()).why());
        assertEquals("one of the newest 2 of acme/valve", e.get(valve.id()).why());
        for (Release kept : List.of(r2, r3, r4, r5, r6, valve)) {
            assertEquals(Action.KEPT, e.get(kept.id()).action(), kept.id());
            assertTrue(pinned(kept), kept.id());
        }
        assertEquals(Action.ALREADY_UNPINNED, byRelease(retention.run(false)).get(r1.id()).action());

        // the device on release 4 installs it; the rollout completes; a removed device needs nothing
        p.update("takes-4", DeviceState.INSTALLED);
        p.rollouts.advance(fourth.id(), "alice");
        p.registry.remove("offered-3");
        Map<String, Entry> later = byRelease(retention.run(false));
        assertEquals("device takes-4 runs it", later.get(r4.id()).why());
        assertEquals(Action.UNPINNED, later.get(r3.id()).action(), later.get(r3.id()).toString());

        // unpinned means the store may collect it: the local store does at its next start
        store.close();
        store = openStore();
        assertTrue(store.stat(r1.cid()).isEmpty());
        assertTrue(store.stat(r3.cid()).isEmpty());
        assertEquals(Action.NOT_IN_STORE, byRelease(retention(2).run(false)).get(r1.id()).action());
        assertTrue(pinned(r2) && pinned(r4) && pinned(r5));
    }

    @Test
    void anImageSharedWithAKeptReleaseStaysAndAKeptImageUnpinnedIsPinnedAgain() throws Exception {
        Release first = publish("thermo", 1, 1);
        Release second = publish("thermo", 2, 2);
        Release again = publish("thermo", 3, 1);
        assertEquals(first.cid(), again.cid());

        Map<String, Entry> e = byRelease(retention(1).run(false));
        assertEquals("same image as kept release " + again.id(), e.get(first.id()).why());
        assertEquals(Action.KEPT, e.get(first.id()).action());
        assertEquals(Action.UNPINNED, e.get(second.id()).action());
        assertTrue(pinned(again));

        // keeping two again: the image unpinned earlier is pinned again
        Map<String, Entry> wider = byRelease(retention(2).run(false));
        assertEquals(Action.PINNED_AGAIN, wider.get(second.id()).action());
        assertTrue(pinned(second));
    }

    @Test
    void aNegativeKeepOrNoGracePeriodIsRefusedWithItsName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> retention(-1));
        assertTrue(e.getMessage().contains("keep.per.class must be 0 or more"), e.getMessage());
        IllegalArgumentException grace = assertThrows(IllegalArgumentException.class,
                () -> retention(Map.of("orphan.grace.minutes", 0L)));
        assertTrue(grace.getMessage().contains("orphan.grace.minutes must be 1 or more"), grace.getMessage());
    }

    private static Map<Cid, Orphan> orphans(RetentionReport report) {
        Map<Cid, Orphan> m = new HashMap<>();
        report.orphans().forEach(o -> m.put(o.cid(), o));
        return m;
    }

    /** A crash after the store kept an image and before the ledger recorded its release leaves an orphan. */
    @Test
    void anObjectNoReleaseReferencesIsUnpinnedOnceUnreferencedForTheGracePeriod() throws Exception {
        Release kept = publish("thermo", 1, 1);
        Cid first = store.put(new ByteArrayInputStream(image(100))).cid();
        ImageRetention retention = retention(3); // grace period: 60 minutes by default
        Instant start = p.clock.instant();

        Orphan seen = orphans(retention.run(true)).get(first);
        assertEquals(Action.KEPT, seen.action(), seen.toString());
        assertEquals(start, seen.unreferencedSince());
        assertEquals(5000, seen.size());
        assertTrue(seen.why().contains("grace period (60 min) until " + start.plusSeconds(3600)), seen.why());
        assertEquals(1, retention.run(true).orphans().size(), "a release's image is no orphan");

        // another object turns up half an hour later: its grace period starts when retention first sees it
        p.clock.advance(Duration.ofMinutes(30));
        Cid second = store.put(new ByteArrayInputStream(image(200))).cid();
        assertEquals(Action.KEPT, orphans(retention.run(false)).get(second).action());
        p.clock.advance(Duration.ofMinutes(29));
        RetentionReport before = retention.run(false);
        assertEquals(Action.KEPT, orphans(before).get(first).action(), "59 minutes: still in its grace period");
        assertTrue(pinned(first));

        p.clock.advance(Duration.ofMinutes(2));
        RetentionReport dry = retention.run(true);
        assertEquals(Action.WOULD_UNPIN, orphans(dry).get(first).action());
        assertEquals(Action.KEPT, orphans(dry).get(second).action(), "31 minutes since it was first seen");
        assertTrue(pinned(first), "a dry run unpins nothing");

        RetentionReport report = retention.run(false);
        assertEquals(Action.UNPINNED, orphans(report).get(first).action());
        assertEquals(1, report.orphanCount(Action.UNPINNED));
        assertFalse(pinned(first));
        assertTrue(pinned(second));
        assertEquals(Action.KEPT, byRelease(report).get(kept.id()).action());
        assertEquals(List.of(second), retention.run(false).orphans().stream().map(Orphan::cid).toList(),
                "an unpinned object is no orphan any more");

        // unpinned, the local store drops it at its next start; the release's image stays
        store.close();
        store = openStore();
        assertTrue(store.stat(first).isEmpty());
        assertTrue(pinned(kept.cid()));
    }

    /**
     * A delta's patch is kept while the release it builds is kept; once that release is unpinned, no device is offered
     * the patch any more and it goes as an orphan does, after the grace period.
     */
    @Test
    void aPatchStaysWhileItsTargetReleaseIsKeptAndGoesAfterTheGracePeriodOnceItIsNot() throws Exception {
        Release r1 = publish("thermo", 1, 1);
        Release r2 = publish("thermo", 2, 2);
        Cid patch = store.put(new ByteArrayInputStream(image(500))).cid();
        p.ledger.append(new LedgerEvent(EventTypes.DELTA_PUBLISHED, p.clock.instant(), p.ledger.logKey(),
                DeltaEvents.published(new Delta(r1.id(), r2.id(), r1.sha256(), r2.sha256(), "bsdiff", patch, 5000,
                        1 << 20, -1)), null));
        ImageRetention keepBoth = retention(3);
        p.clock.advance(Duration.ofMinutes(120));
        assertEquals(List.of(), keepBoth.run(false).orphans(), "the patch to a kept release is referenced");
        assertTrue(pinned(patch));

        publish("thermo", 3, 3);
        ImageRetention keepOne = retention(1);
        RetentionReport first = keepOne.run(false);
        assertEquals(Action.UNPINNED, byRelease(first).get(r2.id()).action());
        assertEquals(Action.KEPT, orphans(first).get(patch).action(), "in its grace period");
        p.clock.advance(Duration.ofMinutes(61));
        assertEquals(Action.UNPINNED, orphans(keepOne.run(false)).get(patch).action());
        assertFalse(pinned(patch));
    }

    /** A publish in progress has stored its image and not recorded its release yet: the grace period lets it finish. */
    @Test
    void theImageOfAPublishRecordedWithinTheGracePeriodStays() throws Exception {
        byte[] image = image(300);
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        ImageRetention retention = retention(3);
        assertEquals(Action.KEPT, orphans(retention.run(false)).get(cid).action());
        p.clock.advance(Duration.ofMinutes(45));
        Release release = record("thermo", 1, image, cid);
        p.clock.advance(Duration.ofMinutes(45));
        RetentionReport report = retention.run(false);
        assertEquals(List.of(), report.orphans());
        assertEquals(Action.KEPT, byRelease(report).get(release.id()).action());
        assertTrue(pinned(cid));
    }

    @Test
    void withOrphanUnpinOffOrphansAreOnlyReported() throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(image(400))).cid();
        ImageRetention retention = retention(Map.of("keep_per_class", 3, "orphan.unpin", false,
                "orphan.grace.minutes", 5L));
        retention.run(false);
        p.clock.advance(Duration.ofMinutes(10));
        Orphan o = orphans(retention.run(false)).get(cid);
        assertEquals(Action.KEPT, o.action());
        assertTrue(o.why().endsWith("orphan.unpin is false"), o.why());
        assertTrue(pinned(cid));
    }
}
