package org.updraft.ledger.local.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.LedgerException;
import org.updraft.ledger.local.internal.GroupCommit.PendingAppend;

/**
 * What appenders see when a commit fails: a disk error cannot be produced on demand here, so a batch writer
 * that fails when told to stands in for the disk.
 */
class GroupCommitTest {

    /** Numbers records densely like the ledger; fails the batches it is told to. */
    private static class Disk implements GroupCommit.BatchWriter {
        long size;
        volatile boolean failWrites;
        volatile boolean failDiscard;
        final List<Integer> batchSizes = new ArrayList<>();

        @Override
        public void write(List<PendingAppend> batch) throws IOException {
            if (failWrites) {
                throw new IOException("No space left on device");
            }
            for (PendingAppend p : batch) {
                p.index = size++;
            }
            batchSizes.add(batch.size());
        }

        @Override
        public boolean discardFailedBatch() {
            return !failDiscard;
        }
    }

    private static PendingAppend record() {
        return new PendingAppend(new byte[10], new byte[32], 58);
    }

    @Test
    void aFailedBatchFailsItsAppendsAndTheNextOnesProceed() throws Exception {
        Disk disk = new Disk();
        GroupCommit commit = new GroupCommit(disk, 1 << 20);
        assertEquals(0, commit.commit(record()));
        disk.failWrites = true;
        LedgerException e = assertThrows(LedgerException.class, () -> commit.commit(record()));
        assertEquals("append failed, nothing was written: java.io.IOException: No space left on device",
                e.getMessage());
        disk.failWrites = false;
        assertEquals(1, commit.commit(record()), "indexes stay dense after a failed batch");
    }

    @Test
    void aFileThatCannotBeRestoredStopsAllAppends() throws Exception {
        Disk disk = new Disk();
        GroupCommit commit = new GroupCommit(disk, 1 << 20);
        disk.failWrites = true;
        disk.failDiscard = true;
        LedgerException e = assertThrows(LedgerException.class, () -> commit.commit(record()));
        assertTrue(e.getMessage().startsWith("append failed and the ledger could not restore its file"), e.getMessage());
        disk.failWrites = false;
        LedgerException later = assertThrows(LedgerException.class, () -> commit.commit(record()));
        assertTrue(later.getMessage().contains("until it is restarted"), later.getMessage());
    }

    @Test
    void closeLetsTheRunningBatchFinishAndFailsTheQueuedOnes() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Disk disk = new Disk() {
            @Override
            public void write(List<PendingAppend> batch) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                super.write(batch);
            }
        };
        GroupCommit commit = new GroupCommit(disk, 1 << 20);
        AtomicReference<Object> first = new AtomicReference<>();
        AtomicReference<Object> second = new AtomicReference<>();
        Thread leader = start(commit, first);
        assertTrue(writing.await(10, TimeUnit.SECONDS));
        Thread follower = start(commit, second);
        while (follower.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        Thread closer = new Thread(() -> commit.close("the local ledger is closed"));
        closer.start();
        while (closer.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        release.countDown();
        closer.join(10_000);
        leader.join(10_000);
        follower.join(10_000);
        assertEquals(0L, first.get(), "the batch being written completes");
        assertEquals("the local ledger is closed", ((LedgerException) second.get()).getMessage());
        assertThrows(LedgerException.class, () -> commit.commit(record()));
    }

    private static Thread start(GroupCommit commit, AtomicReference<Object> result) {
        Thread t = new Thread(() -> {
            try {
                result.set(commit.commit(record()));
            } catch (LedgerException e) {
                result.set(e);
            }
        });
        t.start();
        return t;
    }

    @Test
    void concurrentAppendsShareBatchesWithinTheByteLimit() throws Exception {
        Disk disk = new Disk() {
            @Override
            public void write(List<PendingAppend> batch) throws IOException {
                try {
                    Thread.sleep(2); // a slow fsync, so that appenders gather
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                super.write(batch);
            }
        };
        GroupCommit commit = new GroupCommit(disk, 58 * 10);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        commit.commit(record());
                    }
                } catch (LedgerException e) {
                    throw new IllegalStateException(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(32 * 50, disk.size);
        assertEquals(32 * 50, disk.batchSizes.stream().mapToInt(Integer::intValue).sum());
        assertTrue(disk.batchSizes.stream().allMatch(n -> n <= 10), "no batch above its byte limit");
        assertTrue(disk.batchSizes.size() < 32 * 50, "appenders shared commits: " + disk.batchSizes.size());
    }
}
