package org.updraft.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Many threads each repeating one operation until the time is up: how the rows load a ledger or a database. */
final class Loops {

    /** One thread's operation; closed when its time is up. */
    interface Worker extends AutoCloseable {
        void once() throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /** Makes thread {@code t}'s worker, on that thread (a connection of its own, say). */
    interface Workers {
        Worker start(int t) throws Exception;
    }

    /** Operations completed by all threads, and the seconds they took. */
    record Done(long operations, double seconds) {
        double perSecond() {
            return operations / seconds;
        }
    }

    private Loops() {
    }

    /**
     * Runs {@code threads} workers for {@code seconds}.
     *
     * @throws IllegalStateException with the first failure when an operation failed (the figure would be wrong)
     */
    static Done run(String name, int threads, double seconds, Workers workers) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        List<Throwable> failures = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                try (Worker worker = workers.start(index)) {
                    while (System.nanoTime() < end) {
                        worker.once();
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, name + "-" + t);
            thread.start();
            running.add(thread);
        }
        for (Thread thread : running) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (!failures.isEmpty()) {
            throw new IllegalStateException(name + ": an operation failed: " + failures.get(0), failures.get(0));
        }
        return new Done(done.get(), elapsed);
    }
}
