package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.cbor.Cbor;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.core.log.LedgerFollower;
import org.updraft.testing.CountingLedger;

/**
 * Views on the PostgreSQL ledger shared by two nodes: a change made on one node is seen by the other at its very
 * next call (every call first reads the log's size, one query on the tree row, and applies what was appended since:
 * no notification to wait for); and a node that starts later starts its views from the snapshots another node
 * saved in {@code ledger_snapshots}, replaying only the events after them, into the same state as a full replay.
 */
class SharedViewsTest {

    @TempDir
    Path dir;

    private SharedLedgerNodes cluster;

    @BeforeEach
    void open() {
        cluster = new SharedLedgerNodes(dir);
    }

    @AfterEach
    void close() throws Exception {
        cluster.close();
    }

    @Test
    void aChangeOnOneNodeIsSeenByTheOtherAtItsNextCallAndALaterNodeStartsFromTheSnapshots() throws Exception {
        SharedLedgerNodes.Node a = cluster.node("a", Duration.ofSeconds(30), 3600);
        SharedLedgerNodes.Node b = cluster.node("b", Duration.ofSeconds(30), 3600);
        List<String> devices = cluster.fleet("dev", 20, "eu");
        Release release = cluster.publish(a, 7);
        Rollout r = a.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                WaveSelector.parse("percent:100"), 100, 50, false, null, 0))), "alice");
        assertEquals(RolloutState.DRAFT, b.rollouts.find(r.id()).orElseThrow().state(), "created on a, seen on b");
        a.rollouts.start(r.id(), "alice");
        for (int i = 0; i < 10; i++) { // devices talk to either node
            (i % 2 == 0 ? a : b).update(devices.get(i), i == 3 ? DeviceState.FAILED : DeviceState.INSTALLED);
        }
        assertEquals(a.rollouts.find(r.id()).orElseThrow(), b.rollouts.find(r.id()).orElseThrow());

        b.rollouts.pause(r.id(), "bob", "looking");
        assertEquals(RolloutState.PAUSED, a.rollouts.find(r.id()).orElseThrow().state(), "paused on b, seen on a");
        UpdateAnswer answer = a.updates.check(devices.get(15), 1);
        assertInstanceOf(UpdateAnswer.NoUpdate.class, answer, "a offers nothing of a rollout b paused: " + answer);
        a.rollouts.resume(r.id(), "alice");
        assertInstanceOf(UpdateAnswer.Offer.class, b.updates.check(devices.get(15), 1), "resumed on a, offered by b");
        // a saves its views' snapshots; then the log grows
        a.ledger.keepSnapshots(1, 0);
        new RolloutBook(a.ledger).catchUp();
        new LedgerTrustStore(a.ledger);
        assertTrue(LedgerFollower.awaitSnapshotWrites(Duration.ofSeconds(30)));
        a.ledger.keepSnapshots(0, 0);
        long snapshotAt = a.ledger.size();
        for (int i = 10; i < 15; i++) {
            b.update(devices.get(i), DeviceState.ROLLED_BACK);
        }
        a.trust.revoke(cluster.vendorKey.did(), "leaked", "alice");
        assertEquals(KeyStatus.REVOKED, b.trust.find(cluster.vendorKey.did()).orElseThrow().status(),
                "revoked on a, seen on b");
        long tail = b.ledger.size() - snapshotAt;
        assertTrue(tail >= 10, "a tail: " + tail);

        // a node starting now: its views read the snapshots a saved, then only the tail
        SharedLedgerNodes.Node c = cluster.node("c", Duration.ofSeconds(30), 3600);
        c.ledger.keepSnapshots(1_000_000, 0);
        CountingLedger restoredReads = new CountingLedger(c.ledger, true);
        CountingLedger replayedReads = new CountingLedger(c.ledger, false);
        RolloutBook restored = new RolloutBook(restoredReads);
        RolloutBook replayed = new RolloutBook(replayedReads);
        restored.catchUp();
        replayed.catchUp();
        assertEquals(tail, restoredReads.eventsRead(), "only the events after the snapshot");
        assertEquals(c.ledger.size(), replayedReads.eventsRead());
        assertArrayEquals(Cbor.encode(replayed.snapshotState()), Cbor.encode(restored.snapshotState()));
        RolloutRecord record = restored.rollout(r.id());
        assertEquals(5, record.count(0, DeviceState.ROLLED_BACK));
        assertEquals(1, record.count(0, DeviceState.FAILED));
        assertEquals(9, record.count(0, DeviceState.INSTALLED));

        CountingLedger trustReads = new CountingLedger(c.ledger, true);
        LedgerTrustStore trust = new LedgerTrustStore(trustReads);
        assertEquals(tail, trustReads.eventsRead());
        assertEquals(new LedgerTrustStore(new CountingLedger(c.ledger, false)).list(), trust.list());
        assertEquals(KeyStatus.REVOKED, trust.find(cluster.vendorKey.did()).orElseThrow().status());
    }
}
