package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.api.update.UpdateException;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.log.LedgerFollower;
import org.updraft.testing.CountingLedger;

/**
 * A finished rollout keeps its counts and the downloads still unfinished, not an entry per device whose offer ended:
 * the book of many finished rollouts holds as many offers as devices are still downloading, live and restored from a
 * snapshot alike; and devices are answered as before (no second offer to a failed device, a download under way
 * finishes, a late report counts, a stranger's report is refused).
 */
class FinishedRolloutsTest {

    @TempDir
    Path dir;

    private Platform p;

    @BeforeEach
    void open() throws Exception {
        p = new Platform(dir);
        p.ledger.keepSnapshots(1_000_000, 0);
    }

    @AfterEach
    void close() throws Exception {
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));
        p.close();
    }

    /** One wave of every device: passed once 60 % installed (then advanced by hand), paused when 50 % failed. */
    private Rollout start(Release release) throws Exception {
        Rollout r = p.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                WaveSelector.parse("percent:100"), 60, 50, false, null, 0))), "alice");
        return p.rollouts.start(r.id(), "alice");
    }

    private RolloutBook book() {
        return p.engine.engine().book();
    }

    private UpdateAnswer check(String device, long installed) throws Exception {
        return p.updates.check(device, installed);
    }

    @Test
    void aFinishedRolloutKeepsItsCountsAndUnfinishedDownloadsAndAnswersAsBefore() throws Exception {
        List<String> devices = p.fleet("dev", 10);
        Release release = p.publish(5);
        Rollout r = start(release);
        p.update(devices.get(0), DeviceState.FAILED);
        assertInstanceOf(UpdateAnswer.Offer.class, check(devices.get(1), 1)); // offered, silent
        assertInstanceOf(UpdateAnswer.Offer.class, check(devices.get(2), 1));
        p.updates.report(p.report(devices.get(2), r.id(), release.id(), DeviceState.DOWNLOADING, 1));
        for (int i = 3; i < 8; i++) {
            p.update(devices.get(i), DeviceState.INSTALLED);
        }
        WaveProgress running = p.rollouts.progress(r.id()).waves().get(0);
        assertEquals(RolloutState.RUNNING, p.rollouts.find(r.id()).orElseThrow().state());
        assertEquals(8, book().rollout(r.id()).offerCount());
        p.update(devices.get(8), DeviceState.INSTALLED); // the sixth: 60 %, the wave passed
        p.rollouts.advance(r.id(), "alice"); // past the last wave: completed
        assertEquals(RolloutState.COMPLETED, p.rollouts.find(r.id()).orElseThrow().state());

        // what rollout-show reads is the same, the offer to devices that ended gone
        WaveProgress done = p.rollouts.progress(r.id()).waves().get(0);
        assertEquals(List.of(10, 9, 1, 0, 6, 1, 0), counts(done));
        assertEquals(List.of(10, 8, 1, 0, 5, 1, 0), counts(running));
        RolloutRecord record = book().rollout(r.id());
        assertEquals(2, record.offerCount(), "only the silent device and the one downloading");
        assertEquals(List.of(devices.get(1), devices.get(2)), List.of(record.offeredDevice(0), record.offeredDevice(1)));

        // a failed device is not offered the release again; a device never offered gets nothing of it
        UpdateAnswer failed = check(devices.get(0), 1);
        assertEquals("no-rollout", assertInstanceOf(UpdateAnswer.NoUpdate.class, failed).reason());
        assertEquals("no-rollout", ((UpdateAnswer.NoUpdate) check(devices.get(9), 1)).reason());
        assertEquals("no-rollout", ((UpdateAnswer.NoUpdate) check(devices.get(4), 5)).reason());
        // a download under way may finish, and counts
        assertInstanceOf(UpdateAnswer.Offer.class, check(devices.get(1), 1));
        p.updates.report(p.report(devices.get(1), r.id(), release.id(), DeviceState.DOWNLOADING, 1));
        p.updates.report(p.report(devices.get(1), r.id(), release.id(), DeviceState.INSTALLED, 5));
        assertEquals(1, book().rollout(r.id()).offerCount(), "its offer ended: dropped too");
        // a late report of a device whose offer was dropped counts, moving it between the counts
        p.updates.report(p.report(devices.get(3), r.id(), release.id(), DeviceState.ROLLED_BACK, 1));
        p.updates.report(p.report(devices.get(0), r.id(), release.id(), DeviceState.FAILED, 1));
        assertEquals(List.of(10, 9, 1, 0, 6, 1, 1), counts(p.rollouts.progress(r.id()).waves().get(0)));
        // a device the rollout never offered to is refused as before
        UpdateException stranger = assertThrows(UpdateException.class, () -> p.updates.report(
                p.report(devices.get(9), r.id(), release.id(), DeviceState.INSTALLED, 5)));
        assertEquals("wrong-device", stranger.code());

        // restored from a snapshot or replayed from the start: the same trimmed book
        assertSameFromSnapshotAndReplay();
    }

    @Test
    void theBookOfManyFinishedRolloutsHoldsOnlyTheUnfinishedDownloads() throws Exception {
        List<String> devices = p.fleet("dev", 20);
        int silentPerRollout = 2;
        for (int n = 1; n <= 6; n++) {
            Release release = p.publish(10 + n);
            Rollout r = start(release);
            for (int i = 0; i < silentPerRollout; i++) { // offered, never heard of again
                assertInstanceOf(UpdateAnswer.Offer.class, check(devices.get(i), 10 + n - 1));
            }
            for (int i = silentPerRollout; i < devices.size(); i++) {
                if (p.rollouts.find(r.id()).orElseThrow().state() == RolloutState.RUNNING) {
                    p.update(devices.get(i), i % 7 == 0 ? DeviceState.FAILED : DeviceState.INSTALLED);
                }
            }
            if (n % 2 == 0) {
                p.rollouts.advance(r.id(), "alice");
            } else {
                p.rollouts.cancel(r.id(), "alice", "enough");
            }
            assertTrue(p.rollouts.find(r.id()).orElseThrow().state().isFinal());
            assertTrue(book().rollout(r.id()).offered(0) >= 12, "devices took part");
            // entries held: the silent devices of each finished rollout, nothing per device that ended
            assertEquals(n * silentPerRollout, offersHeld(book()), "after " + n + " rollouts");
        }
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));
        p.ledger.keepSnapshots(1, 0);
        RolloutBook taking = new RolloutBook(p.ledger);
        taking.catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        p.ledger.keepSnapshots(1_000_000, 0);
        RolloutBook restored = new RolloutBook(new CountingLedger(p.ledger, true));
        restored.catchUp();
        assertEquals(6 * silentPerRollout, offersHeld(restored), "the snapshot holds no more");
        assertEquals(6 * silentPerRollout, offersHeld(taking), "nor does a book replayed from the start");
    }

    private static int offersHeld(RolloutBook book) {
        int n = 0;
        for (RolloutRecord r : book.rollouts()) {
            n += r.offerCount();
        }
        return n;
    }

    /** members, offered, downloading, downloaded, installed, failed, rolled back */
    private static List<Integer> counts(WaveProgress w) {
        return List.of(w.members(), w.offered(), w.downloading(), w.downloaded(), w.installed(), w.failed(),
                w.rolledBack());
    }

    private void assertSameFromSnapshotAndReplay() throws Exception {
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));
        p.ledger.keepSnapshots(1, 0);
        new RolloutBook(p.ledger).catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        p.ledger.keepSnapshots(1_000_000, 0);
        CountingLedger restoredReads = new CountingLedger(p.ledger, true);
        RolloutBook restored = new RolloutBook(restoredReads);
        restored.catchUp();
        RolloutBook replayed = new RolloutBook(new CountingLedger(p.ledger, false));
        replayed.catchUp();
        assertEquals(0, restoredReads.eventsRead(), "restored from the snapshot alone");
        assertArrayEquals(Cbor.encode(replayed.snapshotState()), Cbor.encode(restored.snapshotState()));
        assertArrayEquals(Cbor.encode(book().snapshotState()), Cbor.encode(restored.snapshotState()),
                "the live book trimmed as the replayed one");
    }
}
