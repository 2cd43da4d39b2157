package org.updraft.core.work;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Changes handled in sweeps, for changes that may come faster than a sweep runs (rollouts that change with every
 * report, while a transport re-asks its devices about them): {@link #changed} notes a key and returns at once; a
 * sweep on the executor gets every key noted since the previous sweep took its keys. Keys noted during a sweep go
 * into the next, so a burst of changes costs one or two sweeps, not one each. With a single-thread executor (such
 * as {@link Workers#latest}) sweeps never overlap.
 *
 * @param <K> what a change names, e.g. a rollout id
 */
public final class CoalescingSweep<K> {

    private final Executor executor;
    private final Consumer<Set<K>> sweep;
    private final Set<K> changed = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean queued = new AtomicBoolean();

    /**
     * @param executor where sweeps run
     * @param sweep handles the keys changed since the previous sweep (never empty); an exception it throws is the
     *        executor's to report, and the next change queues a sweep again
     */
    public CoalescingSweep(Executor executor, Consumer<Set<K>> sweep) {
        this.executor = Objects.requireNonNull(executor, "executor");
        this.sweep = Objects.requireNonNull(sweep, "sweep");
    }

    /** Notes that {@code key} changed and queues a sweep unless one is queued already; never blocks. */
    public void changed(K key) {
        changed.add(Objects.requireNonNull(key, "key"));
        if (queued.compareAndSet(false, true)) {
            try {
                executor.execute(this::run);
            } catch (RejectedExecutionException e) {
                queued.set(false); // the executor is stopping, and its owner with it
            }
        }
    }

    private void run() {
        queued.set(false); // from here on, a change queues the next sweep
        Set<K> keys = new HashSet<>();
        for (K key : changed) {
            if (changed.remove(key)) {
                keys.add(key);
            }
        }
        if (!keys.isEmpty()) { // empty when the previous sweep already took the keys that queued this one
            sweep.accept(keys);
        }
    }
}
