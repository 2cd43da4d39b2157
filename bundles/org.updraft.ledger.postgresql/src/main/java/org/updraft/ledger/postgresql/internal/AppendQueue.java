package org.updraft.ledger.postgresql.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.updraft.api.ledger.AppendCondition;
import org.updraft.api.ledger.LedgerException;

/**
 * Group commit of one node's appends, on the appenders' own threads: an appender queues its event; when no
 * transaction of this node is under way it leads, taking everything queued (up to a count and a byte limit) into
 * one transaction; the others wait for theirs, or lead the next one. While one transaction commits the next batch
 * gathers, so N concurrent appenders share a commit and throughput grows with concurrency.
 */
final class AppendQueue {

    /** Writes one batch in one transaction. Called by one leader at a time. */
    interface BatchWriter {

        /**
         * Commits {@code batch} and sets each event's index, or marks it {@code refused} when its condition did not
         * hold; on failure nothing of the batch is on the log.
         */
        void write(List<Pending> batch) throws LedgerException;
    }

    /** One event waiting for its commit. */
    static final class Pending {
        final byte[] bytes;
        final byte[] leafHash;
        /** What must hold for it to be appended (a decision), or {@code null}. */
        final AppendCondition condition;
        long index = -1;
        /** Its condition did not hold: nothing of it was appended. */
        boolean refused;
        private LedgerException failure;
        private boolean finished;
        private Condition wake;

        Pending(byte[] bytes, byte[] leafHash) {
            this(bytes, leafHash, null);
        }

        Pending(byte[] bytes, byte[] leafHash, AppendCondition condition) {
            this.bytes = bytes;
            this.leafHash = leafHash;
            this.condition = condition;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final BatchWriter writer;
    private final int maxEvents;
    private final long maxBytes;
    private boolean leading;
    private String stopped;

    AppendQueue(BatchWriter writer, int maxEvents, long maxBytes) {
        this.writer = writer;
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
    }

    /** Queues {@code pending} and returns once it is committed, with its index; -1 when it was refused. */
    long commit(Pending pending) throws LedgerException {
        lock.lock();
        try {
            if (stopped != null) {
                throw new LedgerException(stopped);
            }
            pending.wake = lock.newCondition();
            queue.add(pending);
            while (!pending.finished) {
                if (leading) {
                    // not interruptible: once queued the event may be committed at any moment, and the caller
                    // must learn whether it was
                    pending.wake.awaitUninterruptibly();
                } else {
                    lead();
                }
            }
        } finally {
            lock.unlock();
        }
        if (pending.failure != null) {
            throw pending.failure;
        }
        return pending.refused ? -1 : pending.index;
    }

    // Called with the lock held; releases it while the transaction runs.
    private void lead() {
        leading = true;
        List<Pending> batch = new ArrayList<>();
        long bytes = 0;
        while (!queue.isEmpty() && batch.size() < maxEvents
                && (batch.isEmpty() || bytes + queue.peek().bytes.length <= maxBytes)) {
            Pending next = queue.poll();
            bytes += next.bytes.length;
            batch.add(next);
        }
        LedgerException failure = null;
        lock.unlock();
        try {
            writer.write(batch);
        } catch (LedgerException e) {
            failure = e;
        } catch (RuntimeException | Error e) {
            failure = new LedgerException("append failed: " + e, e);
        } finally {
            lock.lock();
            leading = false;
            for (Pending p : batch) {
                p.failure = failure;
                p.finished = true;
                p.wake.signal();
            }
            Pending next = queue.peek();
            if (next != null) {
                next.wake.signal(); // the next leader
            }
            idle.signalAll();
        }
    }

    /** Refuses further appends with {@code reason}, fails those queued, waits for a transaction under way. */
    void close(String reason) {
        lock.lock();
        try {
            if (stopped == null) {
                stopped = reason;
            }
            for (Pending p : queue) {
                p.failure = new LedgerException(reason);
                p.finished = true;
                p.wake.signal();
            }
            queue.clear();
            while (leading) {
                idle.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }
}
