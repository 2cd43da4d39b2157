package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.core.log.LedgerFollower;
import org.updraft.testing.CountingLedger;
import org.updraft.testing.ForwardingLedger;

/**
 * On the PostgreSQL ledger two nodes' views are due for snapshots at the same events, and only the node holding
 * lease {@code views/snapshots} writes them; once it gives the lease up, the other node writes them. Both read them.
 */
class SnapshotWriterLeaseTest {

    @TempDir
    Path dir;

    private SharedLedgerNodes cluster;

    @BeforeEach
    void open() {
        cluster = new SharedLedgerNodes(dir);
    }

    @AfterEach
    void close() throws Exception {
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));
        cluster.close();
    }

    /** A node's ledger that counts the snapshots its views save. */
    private static final class SavesCounted extends ForwardingLedger {
        final AtomicInteger saves = new AtomicInteger();

        SavesCounted(Ledger ledger) {
            super(ledger);
        }

        @Override
        public Optional<ViewSnapshots> snapshots() {
            return super.snapshots().map(store -> new ViewSnapshots() {
                @Override
                public long everyEvents() {
                    return store.everyEvents();
                }

                @Override
                public long everySeconds() {
                    return store.everySeconds();
                }

                @Override
                public void save(String view, long treeSize, byte[] snapshot) throws LedgerException {
                    store.save(view, treeSize, snapshot);
                    saves.incrementAndGet();
                }

                @Override
                public Optional<byte[]> load(String view) throws LedgerException {
                    return store.load(view);
                }
            });
        }
    }

    @Test
    void onlyTheNodeHoldingTheLeaseWritesSnapshotsAndAnotherTakesOverWhenItLetsGo() throws Exception {
        SharedLedgerNodes.Node a = cluster.node("a", Duration.ofSeconds(30), 3600);
        SharedLedgerNodes.Node b = cluster.node("b", Duration.ofSeconds(30), 3600);
        a.ledger.keepSnapshots(1, 0);
        b.ledger.keepSnapshots(1, 0);
        List<String> devices = cluster.fleet("dev", 12, "eu");
        Release release = cluster.publish(a, 7);
        Rollout r = a.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                WaveSelector.parse("percent:100"), 100, 50, false, null, 0))), "alice");
        a.rollouts.start(r.id(), "alice");

        SavesCounted onA = new SavesCounted(a.ledger);
        SavesCounted onB = new SavesCounted(b.ledger);
        RolloutBook bookA = new RolloutBook(onA);
        RolloutBook bookB = new RolloutBook(onB);
        bookA.catchUp(); // a asks for the lease first
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        for (int i = 0; i < 4; i++) { // both nodes' books fall due at every round
            (i % 2 == 0 ? a : b).update(devices.get(i), DeviceState.INSTALLED);
            bookB.catchUp();
            bookA.catchUp();
            assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        }
        assertEquals(5, onA.saves.get(), "a, holding the lease, saved each due snapshot");
        assertEquals(0, onB.saves.get(), "b left them to a");
        Lease held = lease(b);
        assertEquals("a", held.holder());

        // b's views read what a wrote: a book on b starts from it and reads only the tail
        b.update(devices.get(4), DeviceState.INSTALLED);
        CountingLedger reads = new CountingLedger(b.ledger, true);
        RolloutBook restored = new RolloutBook(reads);
        restored.catchUp();
        assertTrue(reads.eventsRead() > 0 && reads.eventsRead() < b.ledger.size(), "tail only: " + reads.eventsRead());
        assertEquals(bookA.followed(), b.ledger.size() - reads.eventsRead());
        LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30));

        // a lets go (as a stopping node does): b writes from its next due snapshot on
        a.ledger.decisions().orElseThrow().release(held);
        int before = onA.saves.get();
        b.update(devices.get(5), DeviceState.INSTALLED);
        bookB.catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        bookA.catchUp();
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        assertEquals(1, onB.saves.get(), "b took the lease over and saved");
        assertEquals(before, onA.saves.get(), "a no longer writes");
        assertEquals("b", lease(a).holder());
    }

    private static Lease lease(SharedLedgerNodes.Node node) throws LedgerException {
        return node.ledger.decisions().orElseThrow().leases().stream()
                .filter(l -> l.name().equals(LedgerFollower.WRITER_LEASE)).findFirst().orElseThrow();
    }
}
