package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.Lease;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.RolloutEvents;
import org.updraft.rollout.internal.SharedLedgerNodes.Node;

/**
 * Two platform nodes on one PostgreSQL ledger take each rollout decision once: a wave advance or a pause that both
 * see due is appended by one of them; a wave's download cap holds across both; a decision whose trigger reached a
 * node that died before taking it is taken by the other once the dead node's lease lapsed.
 */
class TwoNodeDecisionsTest {

    private static final Duration LEASE = Duration.ofSeconds(2);

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

    private static WaveSpec wave(String name, String selector, double success, double error, int cap) {
        return new WaveSpec(name, WaveSelector.parse(selector), success, error, true, null, cap);
    }

    private static Rollout running(Node node, Release release, WaveSpec... waves) throws Exception {
        Rollout r = node.rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(waves)), "alice");
        return node.rollouts.start(r.id(), "alice");
    }

    /** Both nodes catch up with the ledger, then both look at the rollout at once, from the same view. */
    private static void bothEvaluate(String rolloutId, int failedWave, Node... nodes) throws Exception {
        CyclicBarrier together = new CyclicBarrier(nodes.length);
        ExecutorService threads = Executors.newFixedThreadPool(nodes.length);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Node n : nodes) {
                RolloutEngine engine = n.engine.engine();
                done.add(threads.submit(() -> {
                    synchronized (engine) {
                        engine.catchUp();
                        together.await(10, TimeUnit.SECONDS);
                        engine.evaluate(engine.book().rollout(rolloutId), failedWave);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static long count(List<RolloutEvents.Changed> changes, RolloutState state, int wave) {
        return changes.stream().filter(c -> c.state() == state && c.wave() == wave).count();
    }

    @Test
    void twoNodesThatSeeTheSameWaveDecisionDueAppendItOnce() throws Exception {
        Node a = cluster.node("node-a", LEASE, 3600); // no reviews: the decisions here are the reports' own
        Node b = cluster.node("node-b", LEASE, 3600);
        List<String> devices = cluster.fleet("d", 20, "eu", "us");
        Release release = cluster.publish(a, 7);
        String id = running(a, release, wave("eu", "region:eu", 100, 100, 0), wave("us", "region:us", 100, 20, 0))
                .id();
        List<String> eu = devices.stream().filter(d -> Integer.parseInt(d.substring(2)) % 2 == 0).toList();
        List<String> us = devices.stream().filter(d -> !eu.contains(d)).toList();

        // wave eu: nine devices install through either node; the tenth's report reaches the ledger, then both
        // nodes find the wave passed at once
        for (int i = 0; i < 9; i++) {
            (i % 2 == 0 ? a : b).update(eu.get(i), DeviceState.INSTALLED);
        }
        UpdateAnswer.Offer offer = (UpdateAnswer.Offer) b.updates.check(eu.get(9), 1);
        cluster.reportedOnly(a, eu.get(9), id, offer.release().id(), DeviceState.INSTALLED, 7);
        bothEvaluate(id, -1, a, b);
        assertEquals(1, count(cluster.changes(id), RolloutState.RUNNING, 1), "one advance to wave us: "
                + cluster.changes(id));

        // wave us: two of ten fail, the threshold is 20 %: the third failure pauses, decided by both at once
        b.update(us.get(0), DeviceState.FAILED);
        a.update(us.get(1), DeviceState.FAILED);
        offer = (UpdateAnswer.Offer) a.updates.check(us.get(2), 1);
        cluster.reportedOnly(b, us.get(2), id, offer.release().id(), DeviceState.FAILED, 1);
        bothEvaluate(id, 1, a, b);
        List<RolloutEvents.Changed> changes = cluster.changes(id);
        assertEquals(1, count(changes, RolloutState.PAUSED, 1), "one pause: " + changes);
        assertEquals(3, changes.size(), "started, advanced, paused: " + changes);
        for (Node n : List.of(a, b)) {
            Rollout seen = n.rollouts.find(id).orElseThrow();
            assertEquals(RolloutState.PAUSED, seen.state(), n.id);
            assertEquals(1, seen.currentWave(), n.id);
        }
    }

    @Test
    void aWavesDownloadCapHoldsAcrossBothNodes() throws Exception {
        Node a = cluster.node("node-a", LEASE, 3600);
        Node b = cluster.node("node-b", LEASE, 3600);
        int cap = 6;
        List<String> devices = cluster.fleet("d", 64, "eu");
        Release release = cluster.publish(a, 7);
        String id = running(a, release, wave("all", "percent:100", 100, 100, cap)).id();

        // every device checks once, half of them on each node, eight at a time per node; none reports, so every
        // offer keeps its slot
        ExecutorService threads = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<UpdateAnswer>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < devices.size(); i++) {
                Node n = i % 2 == 0 ? a : b;
                String device = devices.get(i);
                answers.add(threads.submit(() -> {
                    go.await();
                    return n.updates.check(device, 1);
                }));
            }
            go.countDown();
            int offers = 0;
            for (Future<UpdateAnswer> f : answers) {
                UpdateAnswer answer = f.get(60, TimeUnit.SECONDS);
                if (answer instanceof UpdateAnswer.Offer) {
                    offers++;
                } else {
                    assertEquals("download-cap", ((UpdateAnswer.NoUpdate) answer).reason());
                }
            }
            List<String> onLedger = cluster.offered(id);
            assertTrue(onLedger.size() <= cap, onLedger.size() + " offers on the ledger, the cap is " + cap);
            assertEquals(onLedger.size(), offers, "each offer made is on the ledger");
            assertEquals(onLedger.size(), new HashSet<>(onLedger).size(), "no device offered twice");
            assertEquals(cap, offers, "the slots were all handed out");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void whenTheLeaseHolderDiesMidWaveTheOtherNodeTakesItsDecisionsOnce() throws Exception {
        Node a = cluster.node("node-a", LEASE, 3600);
        Node b = cluster.node("node-b", LEASE, 1); // b reviews every second
        List<String> devices = cluster.fleet("d", 12, "eu", "us");
        Release release = cluster.publish(a, 7);
        String id = running(a, release, wave("eu", "region:eu", 100, 50, 0), wave("us", "region:us", 100, 50, 0))
                .id();
        a.engine.reviewLeases();
        Lease held = a.ledger.decisions().orElseThrow().leases().get(0);
        assertEquals("node-a", held.holder(), "a claimed the rollout's lease first");
        b.engine.reviewLeases();
        assertEquals("node-a", b.ledger.decisions().orElseThrow().leases().get(0).holder(), "b could not take it");

        List<String> eu = devices.stream().filter(d -> Integer.parseInt(d.substring(2)) % 2 == 0).toList();
        List<String> us = devices.stream().filter(d -> !eu.contains(d)).toList();
        for (int i = 0; i < eu.size() - 1; i++) {
            (i % 2 == 0 ? a : b).update(eu.get(i), DeviceState.INSTALLED);
        }
        // the wave's last report reaches a, which appends it and is killed before it looks at the threshold
        String last = eu.get(eu.size() - 1);
        UpdateAnswer.Offer offer = (UpdateAnswer.Offer) a.updates.check(last, 1);
        cluster.reportedOnly(a, last, id, offer.release().id(), DeviceState.INSTALLED, 7);
        long killed = System.nanoTime();
        a.kill();

        // b receives nothing more; its own reviews advance the wave once a's lease lapsed
        Duration took = null;
        while (System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(20)) {
            if (b.rollouts.find(id).orElseThrow().currentWave() == 1) {
                took = Duration.ofNanos(System.nanoTime() - killed);
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(took != null, "b never advanced the wave a left due: " + cluster.changes(id));
        assertTrue(took.compareTo(LEASE.plusSeconds(3)) < 0, "b took " + took + ", the lease lasts " + LEASE);
        Lease taken = b.ledger.decisions().orElseThrow().leases().get(0);
        assertEquals("node-b", taken.holder());
        assertEquals(held.token() + 1, taken.token());

        // b carries the rollout to its end
        for (String d : us) {
            b.update(d, DeviceState.INSTALLED);
        }
        List<RolloutEvents.Changed> changes = cluster.changes(id);
        assertEquals(List.of(RolloutState.RUNNING, RolloutState.RUNNING, RolloutState.COMPLETED),
                changes.stream().map(RolloutEvents.Changed::state).toList(), "started, advanced, completed: " + changes);
        assertEquals(List.of(0, 1, 2), changes.stream().map(RolloutEvents.Changed::wave).toList());
        List<String> offered = cluster.offered(id);
        assertEquals(devices.size(), offered.size(), "every device offered once");
        assertEquals(new HashSet<>(devices), new HashSet<>(offered));
        assertEquals(RolloutState.COMPLETED, b.rollouts.find(id).orElseThrow().state());
    }
}
