package org.updraft.core.work;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The executors a component runs its own background and scheduled work on. Each has a name, which its threads
 * carry ({@code name-1}, {@code name-2}, …) so a thread dump says whose they are; a fixed number of threads at
 * most; and a bound on the work waiting where the work can pile up. A component makes its executors when it activates and
 * stops each with {@link #stop} when it deactivates.
 *
 * <p>Threads are daemons: a component that was never deactivated (a test that forgot) cannot keep a JVM running.
 */
public final class Workers {

    /** How long an idle thread of a {@link #pool} or {@link #latest} executor stays before it ends. */
    static final long IDLE_SECONDS = 30;
    /** How long {@link #stop} waits for interrupted tasks to end. */
    private static final long INTERRUPTED_WAIT_MILLIS = 1000;

    private Workers() {
    }

    /**
     * A scheduler of {@code threads} threads for periodic chores and delayed retries. A cancelled task leaves the
     * queue at once, so retries that are cancelled do not pile up.
     *
     * @throws IllegalArgumentException when {@code threads} is not 1 to 16
     */
    public static ScheduledExecutorService scheduler(String name, int threads) {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(checkThreads(threads),
                threads(name));
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return scheduler;
    }

    /**
     * A pool of up to {@code threads} threads, which end after a while idle, and up to {@code waiting} tasks
     * waiting for one. A task submitted while all threads are busy and {@code waiting} tasks wait runs in the
     * submitting thread instead: the submitter slows down, nothing is dropped. Once the pool is stopped, a task is
     * refused ({@link RejectedExecutionException}), never silently dropped.
     *
     * @throws IllegalArgumentException when {@code threads} is not 1 to 16 or {@code waiting} is below 1
     */
    public static ExecutorService pool(String name, int threads, int waiting) {
        if (waiting < 1) {
            throw new IllegalArgumentException("a pool lets at least one task wait, not " + waiting);
        }
        int n = checkThreads(threads);
        return idleEnding(new ThreadPoolExecutor(n, n, IDLE_SECONDS, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(waiting), threads(name), Workers::runInCallerUnlessStopped));
    }

    /**
     * A pool like {@link #pool} for work handed over by a thread that must neither block nor run it: a network
     * client's own thread, which also reads the acknowledgements that the work's answers wait for (run there, an
     * answer waiting for the client's in-flight window would wait for itself). A task submitted while all threads
     * are busy and {@code waiting} tasks wait is dropped without running and given to {@code shed} (which must
     * return at once), so that the load is shed and its sender repeats later. Once stopped, a task is refused
     * ({@link RejectedExecutionException}).
     *
     * @throws IllegalArgumentException when {@code threads} is not 1 to 16 or {@code waiting} is below 1
     */
    public static ExecutorService shedding(String name, int threads, int waiting, Consumer<Runnable> shed) {
        if (waiting < 1) {
            throw new IllegalArgumentException("a pool lets at least one task wait, not " + waiting);
        }
        Objects.requireNonNull(shed, "shed");
        int n = checkThreads(threads);
        return idleEnding(new ThreadPoolExecutor(n, n, IDLE_SECONDS, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(waiting), threads(name), (task, pool) -> {
                    if (pool.isShutdown()) {
                        throw new RejectedExecutionException("stopped");
                    }
                    shed.accept(task);
                }));
    }

    /**
     * One thread for work where only the newest request counts (a check that a newer check supersedes): at most one
     * task runs and one waits; a task submitted while one waits takes its place, and the older one is dropped
     * without running (a {@link Future} of it completes as cancelled). Once stopped, a task is refused
     * ({@link RejectedExecutionException}).
     */
    public static ExecutorService latest(String name) {
        return idleEnding(new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1),
                threads(name), Workers::replaceWaitingUnlessStopped));
    }

    /**
     * Stops {@code executor}: it takes no new task, drops the tasks that wait (their {@link Future}s complete as
     * cancelled; delayed and periodic tasks of a {@link #scheduler} never run again), waits up to {@code grace} for
     * those that run, then interrupts them and waits up to a second more for them to end. When the calling thread is
     * interrupted meanwhile, it interrupts the tasks at once and keeps the interrupt.
     *
     * @return whether every task ended within {@code grace}
     */
    public static boolean stop(ExecutorService executor, Duration grace) {
        if (executor == null) {
            return true;
        }
        executor.shutdown();
        if (executor instanceof ThreadPoolExecutor pool) {
            List<Runnable> waiting = new ArrayList<>();
            pool.getQueue().drainTo(waiting);
            waiting.forEach(Workers::cancel);
        }
        try {
            if (executor.awaitTermination(Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS)) {
                return true;
            }
            executor.shutdownNow().forEach(Workers::cancel);
            // a task that heeds the interrupt ends now: let it, so that the caller's stop is over when this returns
            executor.awaitTermination(INTERRUPTED_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            return false;
        } catch (InterruptedException e) {
            executor.shutdownNow().forEach(Workers::cancel);
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A dropped task that someone may wait on completes as cancelled, so that nobody waits forever. */
    private static void cancel(Runnable dropped) {
        if (dropped instanceof Future<?> future) {
            future.cancel(false);
        }
    }

    private static int checkThreads(int threads) {
        if (threads < 1 || threads > 16) {
            throw new IllegalArgumentException("an executor has 1 to 16 threads, not " + threads);
        }
        return threads;
    }

    private static ThreadPoolExecutor idleEnding(ThreadPoolExecutor pool) {
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory threads(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("an executor needs a name");
        }
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void runInCallerUnlessStopped(Runnable task, ThreadPoolExecutor pool) {
        if (pool.isShutdown()) {
            throw new RejectedExecutionException("stopped");
        }
        task.run();
    }

    private static void replaceWaitingUnlessStopped(Runnable task, ThreadPoolExecutor pool) {
        if (pool.isShutdown()) {
            throw new RejectedExecutionException("stopped");
        }
        BlockingQueue<Runnable> queue = pool.getQueue();
        // the queue holds one task: make room by dropping the older one, then offer; if another submitter
        // won the race, its task is as new as ours and ours is dropped
        cancel(queue.poll());
        if (!queue.offer(task)) {
            cancel(task);
        }
    }
}
