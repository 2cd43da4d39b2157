package org.updraft.ledger.local.internal;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.updraft.api.ledger.LedgerException;

/**
 * Group commit on the appenders' own threads: an appender queues its record; if no write is under way it
 * becomes the leader, takes everything queued (up to a byte limit), writes it with one write and one fsync and
 * wakes the others; otherwise it waits, and either finds its record committed by a leader or leads the next
 * batch itself. While one fsync runs the next batch gathers, so N concurrent appenders share one fsync and the
 * throughput grows with concurrency, without a thread of the ledger's own.
 */
final class GroupCommit {

    /** Writes one batch of records durably. Called by one leader at a time. */
    interface BatchWriter {

        /** Writes and syncs {@code batch}, sets each record's index, and publishes them to readers. */
        void write(List<PendingAppend> batch) throws IOException;

        /** After {@link #write} failed: true when the log is back as it was before the batch. */
        boolean discardFailedBatch();
    }

    /** One record waiting for its commit. */
    static final class PendingAppend {
        final byte[] bytes;
        final byte[] leafHash;
        final int frameSize;
        long index = -1;
        private String failure;
        private Throwable cause;
        private boolean finished;
        private Condition wake;

        PendingAppend(byte[] bytes, byte[] leafHash, int frameSize) {
            this.bytes = bytes;
            this.leafHash = leafHash;
            this.frameSize = frameSize;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    // Signalled when no leader is writing; only close() waits on it. Appenders wait on their own condition, so
    // a commit wakes exactly its own appenders and the next leader, not every thread in the queue.
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<PendingAppend> queue = new ArrayDeque<>();
    private final BatchWriter writer;
    private final long maxBatchBytes;
    private boolean leading;
    private String stopped;

    GroupCommit(BatchWriter writer, long maxBatchBytes) {
        this.writer = writer;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** Queues {@code append} and returns once it is durable, with its index. */
    long commit(PendingAppend append) throws LedgerException {
        lock.lock();
        try {
            if (stopped != null) {
                throw new LedgerException(stopped);
            }
            append.wake = lock.newCondition();
            queue.add(append);
            while (!append.finished) {
                if (leading) {
                    // Waiting must not be interruptible: once queued, the record may be written at any moment,
                    // and the caller must learn whether it was.
                    append.wake.awaitUninterruptibly();
                } else {
                    lead();
                }
            }
        } finally {
            lock.unlock();
        }
        if (append.failure != null) {
            throw new LedgerException(append.failure, append.cause);
        }
        return append.index;
    }

    // Called with the lock held; releases it while writing.
    private void lead() {
        leading = true;
        List<PendingAppend> batch = new ArrayList<>();
        long bytes = 0;
        while (!queue.isEmpty() && (batch.isEmpty() || bytes + queue.peek().frameSize <= maxBatchBytes)) {
            PendingAppend next = queue.poll();
            bytes += next.frameSize;
            batch.add(next);
        }
        String failure = null;
        Throwable cause = null;
        boolean broken = false;
        lock.unlock();
        try {
            writer.write(batch);
        } catch (IOException | RuntimeException | Error e) {
            cause = e;
            if (writer.discardFailedBatch()) {
                failure = "append failed, nothing was written: " + e;
            } else {
                broken = true;
                failure = "append failed and the ledger could not restore its file; it accepts no more appends"
                        + " until it is restarted: " + e;
            }
        } finally {
            lock.lock();
            leading = false;
            for (PendingAppend p : batch) {
                p.failure = failure;
                p.cause = cause;
                p.finished = true;
                p.wake.signal();
            }
            if (broken) {
                stop(failure);
            }
            PendingAppend next = queue.peek();
            if (next != null) {
                next.wake.signal(); // the next leader: it takes everything queued meanwhile
            }
            idle.signalAll();
        }
    }

    /**
     * Refuses further appends with {@code reason}, fails the records still queued, and waits for a batch under way
     * to finish (its records are committed normally).
     */
    void close(String reason) {
        lock.lock();
        try {
            stop(reason);
            while (leading) {
                idle.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    private void stop(String reason) {
        if (stopped == null) {
            stopped = reason;
        }
        for (PendingAppend p : queue) {
            p.failure = reason;
            p.finished = true;
            p.wake.signal();
        }
        queue.clear();
    }
}
