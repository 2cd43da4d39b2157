package org.updraft.core.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.junit.jupiter.api.Test;

class CoalescingSweepTest {

    /** Runs what it is given when told to, so the test decides when sweeps happen. */
    private static final class Stepped implements Executor {
        final Deque<Runnable> queued = new ArrayDeque<>();
        boolean refusing;

        @Override
        public void execute(Runnable task) {
            if (refusing) {
                throw new RejectedExecutionException("stopping");
            }
            queued.add(task);
        }

        void runAll() {
            while (!queued.isEmpty()) {
                queued.poll().run();
            }
        }
    }

    @Test
    void aBurstOfChangesIsOneSweepWithEveryKey() {
        Stepped executor = new Stepped();
        List<Set<String>> sweeps = new ArrayList<>();
        CoalescingSweep<String> sweep = new CoalescingSweep<>(executor, sweeps::add);
        sweep.changed("r1");
        sweep.changed("r2");
        sweep.changed("r1");
        assertEquals(1, executor.queued.size(), "one sweep queued for the burst");
        executor.runAll();
        assertEquals(List.of(Set.of("r1", "r2")), sweeps);
    }

    @Test
    void aChangeDuringASweepGoesIntoTheNext() {
        Stepped executor = new Stepped();
        List<Set<String>> sweeps = new ArrayList<>();
        CoalescingSweep<String>[] self = new CoalescingSweep[1];
        self[0] = new CoalescingSweep<>(executor, keys -> {
            sweeps.add(keys);
            if (sweeps.size() == 1) {
                self[0].changed("r3"); // a report handled while the devices are being asked again
            }
        });
        self[0].changed("r1");
        executor.runAll();
        assertEquals(List.of(Set.of("r1"), Set.of("r3")), sweeps);
    }

    @Test
    void aChangeTheExecutorRefusedIsSweptWithTheNext() {
        Stepped executor = new Stepped();
        List<Set<String>> sweeps = new ArrayList<>();
        CoalescingSweep<String> sweep = new CoalescingSweep<>(executor, sweeps::add);
        executor.refusing = true;
        sweep.changed("r1"); // dropped by the executor: the key stays noted
        executor.refusing = false;
        sweep.changed("r2");
        executor.runAll();
        assertEquals(List.of(Set.of("r1", "r2")), sweeps);
        executor.runAll();
        assertEquals(1, sweeps.size());
        assertTrue(executor.queued.isEmpty());
    }
}
