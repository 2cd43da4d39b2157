package org.updraft.ledger.local.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.local.internal.Frames.event;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;

class FileLedgerTest {

    @TempDir
    Path dir;

    private FileLedger open() throws LedgerException {
        return FileLedger.open(dir, dir.resolve("log-key.pem"), "test-log", true);
    }

    private Path events() {
        return dir.resolve(FileLedger.EVENTS_FILE);
    }

    private static List<AppendReceipt> appendAll(FileLedger ledger, String tag, int from, int to) throws LedgerException {
        List<AppendReceipt> receipts = new ArrayList<>();
        for (int i = from; i < to; i++) {
            receipts.add(ledger.append(event(tag, i)));
        }
        return receipts;
    }

    @Test
    void appendedEventsReadBackInOrder() throws Exception {
        try (FileLedger ledger = open()) {
            assertEquals(0, ledger.size());
            List<AppendReceipt> receipts = appendAll(ledger, "a", 0, 100);
            assertEquals(100, ledger.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(i, receipts.get(i).index());
                assertArrayEquals(LedgerEventCodec.leafHash(event("a", i)), receipts.get(i).leafHash());
                LedgerEntry entry = ledger.get(i);
                assertEquals(i, entry.index());
                assertEquals(event("a", i), entry.event());
                assertArrayEquals(receipts.get(i).leafHash(), entry.leafHash());
            }
            List<LedgerEntry> all = ledger.read(0, 1000);
            assertEquals(100, all.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(event("a", i), all.get(i).event());
            }
            List<LedgerEntry> tail = ledger.read(95, 10);
            assertEquals(5, tail.size());
            assertEquals(95, tail.get(0).index());
            assertEquals(event("a", 99), tail.get(4).event());
            List<LedgerEntry> middle = ledger.read(17, 3);
            assertEquals(List.of(17L, 18L, 19L), middle.stream().map(LedgerEntry::index).toList());
            assertTrue(ledger.read(100, 5).isEmpty());
            assertTrue(ledger.read(3, 0).isEmpty());

            LedgerException e = assertThrows(LedgerException.class, () -> ledger.get(100));
            assertEquals("no event 100: the log holds 100 events", e.getMessage());
            assertThrows(LedgerException.class, () -> ledger.get(-1));
            assertThrows(LedgerException.class, () -> ledger.read(-1, 5));
            assertThrows(LedgerException.class, () -> ledger.read(0, -5));
        }
    }

    @Test
    void everyProofVerifiesWithTheCoreVerifier() throws Exception {
        try (FileLedger ledger = open()) {
            int n = 70;
            List<byte[]> leaves = new ArrayList<>();
            for (AppendReceipt r : appendAll(ledger, "p", 0, n)) {
                leaves.add(r.leafHash());
            }
            MemoryMerkleTree reference = MemoryMerkleTree.of(leaves);
            for (int size = 0; size <= n; size++) {
                byte[] root = MerkleTree.rootHash(reference, size);
                assertArrayEquals(root, ledger.rootHash(size), "root of " + size);
                for (int i = 0; i < size; i++) {
                    InclusionProof proof = ledger.inclusionProof(i, size);
                    assertEquals(i, proof.leafIndex());
                    assertEquals(size, proof.treeSize());
                    MerkleTree.verifyInclusion(proof, leaves.get(i), root);
                }
                for (int first = 0; first <= size; first++) {
                    ConsistencyProof proof = ledger.consistencyProof(first, size);
                    MerkleTree.verifyConsistency(proof, MerkleTree.rootHash(reference, first), root);
                }
            }
            assertThrows(LedgerException.class, () -> ledger.inclusionProof(5, 5));
            assertThrows(LedgerException.class, () -> ledger.inclusionProof(0, 71));
            assertThrows(LedgerException.class, () -> ledger.consistencyProof(3, 2));
            LedgerException e = assertThrows(LedgerException.class, () -> ledger.consistencyProof(3, 80));
            assertEquals("no tree of 80 events: the log holds 70", e.getMessage());
        }
    }

    @Test
    void proofsOfALargerLogUseTheCachedLevels() throws Exception {
        try (FileLedger ledger = open()) {
            // Concurrent appenders so that the appends share fsyncs and this stays quick.
            int n = 3000;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int from = t * n / 8;
                int to = (t + 1) * n / 8;
                Thread thread = new Thread(() -> {
                    try {
                        appendAll(ledger, "big", from, to);
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
            List<byte[]> leaves = ledger.read(0, n).stream().map(LedgerEntry::leafHash).toList();
            MemoryMerkleTree reference = MemoryMerkleTree.of(leaves);
            Checkpoint checkpoint = ledger.checkpoint();
            assertArrayEquals(reference.rootHash(), checkpoint.rootHash());
            Random random = new Random(7);
            for (int k = 0; k < 500; k++) {
                int size = 1 + random.nextInt(n);
                int index = random.nextInt(size);
                int first = random.nextInt(size + 1);
                byte[] root = MerkleTree.rootHash(reference, size);
                MerkleTree.verifyInclusion(ledger.inclusionProof(index, size), leaves.get(index), root);
                MerkleTree.verifyConsistency(ledger.consistencyProof(first, size), MerkleTree.rootHash(reference, first),
                        root);
            }
        }
    }

    @Test
    void reopenedLogHasEverything() throws Exception {
        String did;
        Checkpoint before;
        try (FileLedger ledger = open()) {
            appendAll(ledger, "r", 0, 50);
            before = ledger.checkpoint();
            appendAll(ledger, "r", 50, 53);
            did = ledger.logKey();
        }
        for (int round = 0; round < 3; round++) {
            try (FileLedger ledger = open()) {
                assertEquals(53 + round, ledger.size());
                assertEquals(did, ledger.logKey());
                for (int i = 0; i < 53; i++) {
                    assertEquals(event("r", i), ledger.get(i).event());
                }
                List<Checkpoint> issued = ledger.checkpoints(0, 10);
                assertArrayEquals(before.envelope(), issued.get(0).envelope());
                ledger.append(event("again", round));
                assertEquals(53 + round, ledger.get(53 + round).index());
            }
        }
    }

    @Test
    void checkpointsVerifyWithOnlyTheDidKeyAndAreIssuedOncePerSize() throws Exception {
        try (FileLedger ledger = open()) {
            Checkpoint empty = ledger.checkpoint();
            assertEquals(0, empty.treeSize());
            assertArrayEquals(MerkleHash.emptyTreeHash(), empty.rootHash());

            appendAll(ledger, "c", 0, 10);
            Checkpoint ten = ledger.checkpoint();
            Checkpoint checked = CheckpointCodec.verify(ten.envelope(), ledger.logKey());
            assertEquals("test-log", checked.origin());
            assertEquals(10, checked.treeSize());
            assertArrayEquals(ledger.rootHash(10), checked.rootHash());
            assertEquals(ten.timestamp(), checked.timestamp());
            assertArrayEquals(ten.envelope(), ledger.checkpoint().envelope(), "same size, same checkpoint");

            appendAll(ledger, "c", 10, 12);
            Checkpoint twelve = ledger.checkpoint();
            assertEquals(12, twelve.treeSize());
            assertFalse(twelve.timestamp().isBefore(ten.timestamp()));
            MerkleTree.verifyConsistency(ledger.consistencyProof(10, 12), ten.rootHash(), twelve.rootHash());

            assertEquals(List.of(0L, 10L, 12L), sizes(ledger.checkpoints(0, 100)));
            assertEquals(List.of(10L, 12L), sizes(ledger.checkpoints(1, 100)));
            assertEquals(List.of(12L), sizes(ledger.checkpoints(11, 100)));
            assertEquals(List.of(0L), sizes(ledger.checkpoints(0, 1)));
            assertTrue(ledger.checkpoints(13, 100).isEmpty());
            assertTrue(ledger.checkpoints(0, 0).isEmpty());
        }
        try (FileLedger ledger = open()) {
            assertEquals(List.of(0L, 10L, 12L), sizes(ledger.checkpoints(0, 100)));
            assertEquals(12, ledger.checkpoint().treeSize());
            assertEquals(3, ledger.checkpoints(0, 100).size(), "no new checkpoint for an unchanged size");
        }
    }

    private static List<Long> sizes(List<Checkpoint> checkpoints) {
        return checkpoints.stream().map(Checkpoint::treeSize).toList();
    }

    @Test
    void concurrentAppendersGetDenseUniqueIndexes() throws Exception {
        int threads = 16;
        int perThread = 400;
        try (FileLedger ledger = open()) {
            long[][] indexes = new long[threads][perThread];
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread worker = new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            indexes[thread][i] = ledger.append(event("t" + thread, i)).index();
                        }
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                worker.join();
            }
            assertEquals(List.of(), failures);
            long[] all = Arrays.stream(indexes).flatMapToLong(Arrays::stream).sorted().toArray();
            for (int i = 0; i < all.length; i++) {
                assertEquals(i, all[i], "indexes must be 0.." + (all.length - 1) + " each once");
            }
            for (int t = 0; t < threads; t++) {
                long previous = -1;
                for (int i = 0; i < perThread; i++) {
                    assertEquals(event("t" + t, i), ledger.get(indexes[t][i]).event());
                    assertTrue(indexes[t][i] > previous, "one thread's appends keep their order");
                    previous = indexes[t][i];
                }
            }
        }
    }

    @Test
    void tornTailsAreCut() throws Exception {
        try (FileLedger ledger = open()) {
            appendAll(ledger, "t", 0, 20);
        }
        List<Frames.Frame> frames = Frames.list(events());
        assertEquals(20, frames.size());

        // 1. the last frame cut short
        Frames.truncate(events(), frames.get(19).end() - 5);
        try (FileLedger ledger = open()) {
            assertEquals(19, ledger.size());
            assertEquals(19, ledger.append(event("t", 19)).index());
        }
        assertEquals(frames.get(19).end(), Files.size(events()), "the cut frame was written again in its place");

        // 2. the last frame's checksum broken
        Frames.flip(events(), frames.get(19).end() - 1);
        try (FileLedger ledger = open()) {
            assertEquals(19, ledger.size());
            ledger.append(event("t", 19));
        }

        // 3. zeros after the last frame, as a file system can leave after a crash
        Frames.appendBytes(events(), new byte[3000]);
        // 4. a header cut short
        try (FileLedger ledger = open()) {
            assertEquals(20, ledger.size());
        }
        Frames.appendBytes(events(), new byte[] {1, 2, 3, 4, 5, 6, 7});
        try (FileLedger ledger = open()) {
            assertEquals(20, ledger.size());
            for (int i = 0; i < 20; i++) {
                assertEquals(event("t", i), ledger.get(i).event());
            }
        }
        assertEquals(frames.get(19).end(), Files.size(events()));
    }

    @Test
    void damageBeforeLaterCommitsFailsTheOpenAndChangesNothing() throws Exception {
        try (FileLedger ledger = open()) {
            appendAll(ledger, "m", 0, 100); // one commit batch each: nothing else is appending
        }
        Frames.Frame frame = Frames.list(events()).get(40);
        Frames.flip(events(), frame.bodyOffset() + 50);
        byte[] damaged = Files.readAllBytes(events());
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("corrupt at offset " + frame.offset() + " (event 40)"), e.getMessage());
        assertTrue(e.getMessage().contains("not a torn write"), e.getMessage());
        assertArrayEquals(damaged, Files.readAllBytes(events()), "the open must not cut anything");

        // the next to last event: the last one is a later commit, so this damage is not a torn write either
        Frames.flip(events(), frame.bodyOffset() + 50);
        Frames.Frame nextToLast = Frames.list(events()).get(98);
        Frames.flip(events(), nextToLast.offset() + 2);
        e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("(event 98)"), e.getMessage());

        // a damaged length field hides where the next frame starts: found by searching
        Frames.flip(events(), nextToLast.offset() + 2);
        Frames.flip(events(), Frames.list(events()).get(60).offset() + 6);
        e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("(event 60)"), e.getMessage());
    }

    @Test
    void damageUnderACheckpointIsNeverCut() throws Exception {
        try (FileLedger ledger = open()) {
            appendAll(ledger, "k", 0, 10);
            ledger.checkpoint();
        }
        Frames.Frame last = Frames.list(events()).get(9);
        Frames.truncate(events(), last.end() - 1);
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("(event 9)") && e.getMessage().contains("a checkpoint covers it"),
                e.getMessage());
        assertEquals(last.end() - 1, Files.size(events()));
    }

    @Test
    void alteredEventsAreEvident() throws Exception {
        try (FileLedger ledger = open()) {
            appendAll(ledger, "x", 0, 30);
            ledger.checkpoint();
            appendAll(ledger, "x", 30, 35);
        }
        byte[] original = Files.readAllBytes(events());
        Frames.Frame frame = Frames.list(events()).get(12);
        byte[] body = Frames.body(events(), frame);

        // changed event bytes with a fixed checksum: the stored leaf hash no longer matches
        byte[] forged = body.clone();
        forged[forged.length - 1] ^= 1;
        Frames.forge(events(), frame, forged);
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("event 12 at offset " + frame.offset()), e.getMessage());
        assertTrue(e.getMessage().contains("does not match its stored leaf hash"), e.getMessage());

        // a forger who also rewrites the leaf hash: the signed checkpoint's root gives it away
        Files.write(events(), original);
        byte[] eventBytes = Arrays.copyOfRange(body, MerkleHash.SIZE, body.length);
        eventBytes[eventBytes.length - 1] ^= 1;
        byte[] leaf = MerkleHash.leafHash(eventBytes);
        byte[] rewritten = new byte[body.length];
        System.arraycopy(leaf, 0, rewritten, 0, MerkleHash.SIZE);
        System.arraycopy(eventBytes, 0, rewritten, MerkleHash.SIZE, eventBytes.length);
        Frames.forge(events(), frame, rewritten);
        e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("checkpoint 0 signed root"), e.getMessage());
        assertTrue(e.getMessage().contains("the stored events were changed"), e.getMessage());

        Files.write(events(), original);
        try (FileLedger ledger = open()) {
            assertEquals(35, ledger.size());
        }
    }

    @Test
    void theLogKeyIsGeneratedPrivateAndKept() throws Exception {
        Path keyFile = dir.resolve("log-key.pem");
        String did;
        try (FileLedger ledger = open()) {
            did = ledger.logKey();
            assertTrue(did.startsWith("did:key:z6Mk"), did); // Ed25519
            ledger.append(event("k", 0));
            ledger.checkpoint();
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        assertEquals(did, KeyFiles.readPrivateKey(keyFile, null).did());
        try (FileLedger ledger = open()) {
            assertEquals(did, ledger.logKey());
        }

        // Another key for the same log: its checkpoints would no longer verify on any device.
        Path otherKey = dir.resolve("other.pem");
        KeyFiles.writePrivateKey(otherKey, SigningKey.generate(KeyAlgorithm.ED25519), null);
        LedgerException e = assertThrows(LedgerException.class,
                () -> FileLedger.open(dir, otherKey, "test-log", true));
        assertTrue(e.getMessage().contains("the log key does not match this log's checkpoints"), e.getMessage());

        e = assertThrows(LedgerException.class, () -> FileLedger.open(dir, keyFile, "renamed-log", true));
        assertTrue(e.getMessage().contains("'test-log'") && e.getMessage().contains("'renamed-log'"), e.getMessage());
    }

    @Test
    void closedLedgerRefusesWorkAndTheDirectoryIsExclusive() throws Exception {
        FileLedger ledger = open();
        ledger.append(event("c", 0));
        LedgerException busy = assertThrows(LedgerException.class, this::open);
        assertTrue(busy.getMessage().contains("already open"), busy.getMessage());
        ledger.close();
        ledger.close();
        LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(event("c", 1)));
        assertEquals("the local ledger is closed", e.getMessage());
        assertThrows(LedgerException.class, () -> ledger.get(0));
        assertThrows(LedgerException.class, ledger::checkpoint);
        assertThrows(LedgerException.class, () -> ledger.inclusionProof(0, 1));
        try (FileLedger again = open()) {
            assertEquals(1, again.size());
        }
    }

    @Test
    void eventsTheFormatCannotHoldAreRefused() throws Exception {
        try (FileLedger ledger = open()) {
            LedgerEvent old = new LedgerEvent("t", Instant.parse("1960-01-01T00:00:00Z"), "a", new byte[1], null);
            LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(old));
            assertTrue(e.getMessage().contains("before 1970"), e.getMessage());
            LedgerEvent huge = new LedgerEvent("t", Instant.now(), "a", new byte[LedgerEventCodec.MAX_EVENT_BYTES], null);
            e = assertThrows(LedgerException.class, () -> ledger.append(huge));
            assertTrue(e.getMessage().contains("more than the"), e.getMessage());
            assertThrows(LedgerException.class, () -> ledger.append(null));
            assertEquals(0, ledger.size());
            // a large event that fits goes through, alone in its batch
            LedgerEvent large = new LedgerEvent("t", Instant.now(), "a", new byte[LedgerEventCodec.MAX_EVENT_BYTES - 100],
                    null);
            assertEquals(0, ledger.append(large).index());
            assertEquals(large, ledger.get(0).event());
        }
        try (FileLedger ledger = open()) {
            assertEquals(1, ledger.size());
        }
    }

    @Test
    void anInterruptedCallerBreaksNothingForOthers() throws Exception {
        try (FileLedger ledger = open()) {
            appendAll(ledger, "i", 0, 40);
            Thread.currentThread().interrupt();
            try {
                // The commit is not interruptible: once queued, the caller must learn its fate.
                assertEquals(40, ledger.append(event("i", 40)).index());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
                LedgerException e = assertThrows(LedgerException.class, () -> ledger.get(3));
                assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            } finally {
                Thread.interrupted();
            }
            // The JDK closed the read channel under the interrupted reader; everyone else carries on.
            assertEquals(event("i", 3), ledger.get(3).event());
            assertEquals(41, ledger.append(event("i", 41)).index());
            MerkleTree.verifyInclusion(ledger.inclusionProof(7, 42), ledger.get(7).leafHash(), ledger.rootHash(42));
        }
        try (FileLedger ledger = open()) {
            assertEquals(42, ledger.size());
        }
    }

    @Test
    void aFileOfAnotherKindIsRefused() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(events(), "this is not a ledger");
        LedgerException e = assertThrows(LedgerException.class, this::open);
        assertTrue(e.getMessage().contains("is not an Updraft ledger file"), e.getMessage());
    }
}
