package org.updraft.core.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class WorkersTest {

    private static final Duration GRACE = Duration.ofSeconds(5);

    @Test
    void threadsCarryTheNameAreDaemonsAndNeverExceedTheBound() throws Exception {
        ExecutorService pool = Workers.pool("test-pool", 3, 100);
        Set<String> names = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicBoolean daemons = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(50);
        for (int i = 0; i < 50; i++) {
            pool.execute(() -> {
                int now = running.incrementAndGet();
                most.accumulateAndGet(now, Math::max);
                names.add(Thread.currentThread().getName());
                daemons.compareAndSet(true, Thread.currentThread().isDaemon());
                sleep(5);
                running.decrementAndGet();
                done.countDown();
            });
        }
        assertTrue(done.await(10, TimeUnit.SECONDS));
        assertTrue(most.get() <= 3, "at most 3 at once, saw " + most.get());
        assertTrue(names.stream().allMatch(n -> n.matches("test-pool-[123]")), names.toString());
        assertTrue(daemons.get());
        assertTrue(Workers.stop(pool, GRACE));
    }

    @Test
    void aFullPoolRunsTheTaskInTheSubmitterAndAStoppedOneRefuses() throws Exception {
        ExecutorService pool = Workers.pool("test-full", 1, 1);
        CountDownLatch release = new CountDownLatch(1);
        pool.execute(() -> await(release)); // busy
        pool.execute(() -> { }); // waits
        List<String> ranIn = new CopyOnWriteArrayList<>();
        pool.execute(() -> ranIn.add(Thread.currentThread().getName())); // no room: the submitter runs it
        assertEquals(List.of(Thread.currentThread().getName()), ranIn);
        release.countDown();
        assertTrue(Workers.stop(pool, GRACE));
        assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
    }

    @Test
    void aFullSheddingPoolDropsTheTaskWithoutRunningItAndAStoppedOneRefuses() throws Exception {
        List<Runnable> shed = new CopyOnWriteArrayList<>();
        ExecutorService pool = Workers.shedding("test-shed", 1, 1, shed::add);
        CountDownLatch release = new CountDownLatch(1);
        pool.execute(() -> await(release)); // busy
        pool.execute(() -> { }); // waits
        List<String> ran = new CopyOnWriteArrayList<>();
        Runnable third = () -> ran.add(Thread.currentThread().getName());
        pool.execute(third); // no room: dropped, the submitter neither runs it nor waits
        assertEquals(List.of(third), shed);
        release.countDown();
        assertTrue(Workers.stop(pool, GRACE));
        assertEquals(List.of(), ran, "the shed task never ran");
        assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
    }

    @Test
    void latestKeepsOnlyTheNewestWaitingTask() throws Exception {
        ExecutorService latest = Workers.latest("test-latest");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<Integer> ran = new CopyOnWriteArrayList<>();
        latest.execute(() -> {
            started.countDown();
            await(release);
            ran.add(0);
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        Future<?> first = latest.submit(() -> ran.add(1));
        Future<?> second = latest.submit(() -> ran.add(2));
        Future<?> third = latest.submit(() -> ran.add(3));
        release.countDown();
        third.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(0, 3), ran);
        // nobody waits forever on a task that was replaced
        assertThrows(CancellationException.class, () -> first.get(1, TimeUnit.SECONDS));
        assertThrows(CancellationException.class, () -> second.get(1, TimeUnit.SECONDS));
        assertTrue(Workers.stop(latest, GRACE));
        assertThrows(RejectedExecutionException.class, () -> latest.execute(() -> { }));
    }

    @Test
    void stopEndsPeriodicChoresAndInterruptsWhatOutlivesTheGrace() throws Exception {
        ScheduledExecutorService scheduler = Workers.scheduler("test-chores", 1);
        AtomicInteger runs = new AtomicInteger();
        scheduler.scheduleWithFixedDelay(runs::incrementAndGet, 0, 10, TimeUnit.MILLISECONDS);
        ScheduledFuture<?> later = scheduler.schedule(() -> { }, 1, TimeUnit.HOURS);
        while (runs.get() < 3) {
            sleep(5);
        }
        assertTrue(Workers.stop(scheduler, GRACE));
        int after = runs.get();
        sleep(50);
        assertEquals(after, runs.get(), "a periodic chore ran after stop");
        assertTrue(later.isCancelled(), "a delayed task outlived stop");

        ExecutorService stuck = Workers.pool("test-stuck", 1, 1);
        CountDownLatch interrupted = new CountDownLatch(1);
        stuck.execute(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
            }
        });
        sleep(50);
        assertFalse(Workers.stop(stuck, Duration.ofMillis(100)));
        assertTrue(interrupted.await(5, TimeUnit.SECONDS));
    }

    @Test
    void stopCancelsWaitingTasksSoNobodyWaitsForever() throws Exception {
        ExecutorService pool = Workers.pool("test-drop", 1, 4);
        CountDownLatch release = new CountDownLatch(1);
        pool.execute(() -> await(release));
        Future<?> waiting = pool.submit(() -> { });
        new Thread(() -> {
            sleep(100);
            release.countDown();
        }).start();
        assertTrue(Workers.stop(pool, GRACE));
        assertTrue(waiting.isCancelled());
    }

    @Test
    void badShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Workers.pool("x", 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Workers.pool("x", 17, 1));
        assertThrows(IllegalArgumentException.class, () -> Workers.pool("x", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Workers.scheduler(" ", 1));
        assertThrows(NullPointerException.class, () -> Workers.latest(null));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
