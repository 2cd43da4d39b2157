package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.log.LedgerFollower;
import org.updraft.testing.Configs;
import org.updraft.testing.CountingLedger;
import org.updraft.testing.ForwardingLedger;

/**
 * A snapshot of the rollout book is written outside the engine's lock: a device is answered while the snapshot's
 * store is still busy writing it (here a store that does not return until that device's answer came).
 */
class SnapshotOffTheLockTest {

    @TempDir
    Path dir;

    private Platform p;
    private RolloutEngineComponent engine;
    private PlatformUpdateService updates;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
        p.ledger.keepSnapshots(1_000_000, 0);
    }

    @AfterEach
    void close() throws Exception {
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));
        if (updates != null) {
            updates.deactivate();
            engine.close();
        }
        p.close();
    }

    /** The ledger's own snapshot store, but {@link #save} waits for {@link #answered} once {@link #armed}. */
    private static final class SlowSnapshots implements ViewSnapshots {
        final Ledger ledger;
        volatile boolean armed;
        final CountDownLatch saving = new CountDownLatch(1);
        final CountDownLatch answered = new CountDownLatch(1);
        final AtomicBoolean gaveUpWaiting = new AtomicBoolean();
        final AtomicInteger saved = new AtomicInteger();

        SlowSnapshots(Ledger ledger) {
            this.ledger = ledger;
        }

        /** The ledger's store as configured now. */
        private ViewSnapshots store() {
            return ledger.snapshots().orElseThrow();
        }

        @Override
        public long everyEvents() {
            return store().everyEvents();
        }

        @Override
        public long everySeconds() {
            return store().everySeconds();
        }

        @Override
        public void save(String view, long treeSize, byte[] snapshot) throws LedgerException {
            if (armed && view.equals("rollouts")) {
                saving.countDown();
                try {
                    // long enough for any slow machine; a request that waits for this save ends only after it
                    if (!answered.await(8, TimeUnit.SECONDS)) {
                        gaveUpWaiting.set(true);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LedgerException("interrupted");
                }
            }
            store().save(view, treeSize, snapshot);
            if (view.equals("rollouts")) {
                saved.incrementAndGet();
            }
        }

        @Override
        public Optional<byte[]> load(String view) throws LedgerException {
            return store().load(view);
        }
    }

    @Test
    void aDeviceIsAnsweredWhileTheBooksSnapshotIsBeingWritten() throws Exception {
        List<String> devices = p.fleet("dev", 8);
        Release release = p.publish(5);
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                WaveSelector.parse("percent:100"), 100, 50, false, null, 0))), "alice");
        p.rollouts.start(r.id(), "alice");

        SlowSnapshots slow = new SlowSnapshots(p.ledger);
        ForwardingLedger node = new ForwardingLedger(p.ledger) {
            @Override
            public Optional<ViewSnapshots> snapshots() {
                return Optional.of(slow);
            }
        };
        engine = new RolloutEngineComponent(Configs.of(RolloutEngineComponent.Config.class, p.rolloutConfig), node,
                p.registry, p.clock);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class, p.updateConfig), engine,
                p.releases, p.trust);
        assertInstanceOf(UpdateAnswer.Offer.class, updates.check(devices.get(0), 1)); // caught up, nothing due

        p.update(devices.get(1), DeviceState.INSTALLED); // events this node has not applied yet
        p.ledger.keepSnapshots(1, 0); // so its next call takes a snapshot
        slow.armed = true;
        CompletableFuture<UpdateAnswer> first = CompletableFuture.supplyAsync(() -> check(devices.get(2)));
        assertTrue(slow.saving.await(10, TimeUnit.SECONDS), "the due snapshot is being saved");

        UpdateAnswer second = check(devices.get(3)); // while the store still writes
        slow.answered.countDown();
        assertInstanceOf(UpdateAnswer.Offer.class, second);
        assertFalse(slow.gaveUpWaiting.get(), "the device was answered before the snapshot's save returned");
        assertInstanceOf(UpdateAnswer.Offer.class, first.get(10, TimeUnit.SECONDS));

        // the snapshot written off the lock is a whole one: a book restored from it equals the book replayed
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        assertEquals(1, slow.saved.get());
        p.ledger.keepSnapshots(1_000_000, 0);
        CountingLedger restoredReads = new CountingLedger(p.ledger, true);
        RolloutBook restored = new RolloutBook(restoredReads);
        restored.catchUp();
        RolloutBook replayed = new RolloutBook(new CountingLedger(p.ledger, false));
        replayed.catchUp();
        assertTrue(restoredReads.eventsRead() < p.ledger.size(), "restored from the snapshot");
        assertEquals(replayed.rollout(r.id()).toRollout(), restored.rollout(r.id()).toRollout());
        assertEquals(replayed.rollout(r.id()).offerCount(), restored.rollout(r.id()).offerCount());
        assertEquals(replayed.rollout(r.id()).count(0, DeviceState.INSTALLED),
                restored.rollout(r.id()).count(0, DeviceState.INSTALLED));
    }

    private UpdateAnswer check(String device) {
        try {
            return updates.check(device, 1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
