package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.ConsistencyProof;
import org.updraft.api.ledger.InclusionProof;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.log.LedgerEventCodec;
import org.updraft.core.log.MemoryMerkleTree;
import org.updraft.core.log.MerkleHash;
import org.updraft.core.log.MerkleTree;

/** One node's log on the real PostgreSQL: the same behaviour as the local ledger's (FileLedgerTest). */
class SqlLedgerTest {

    private TestSchema db;

    @BeforeEach
    void schema() {
        db = TestSchema.fresh();
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    private static List<AppendReceipt> appendAll(SqlLedger ledger, String tag, int from, int to)
            throws LedgerException {
        List<AppendReceipt> receipts = new ArrayList<>();
        for (int i = from; i < to; i++) {
            receipts.add(ledger.append(event(tag, i)));
        }
        return receipts;
    }

    @Test
    void appendedEventsReadBackInOrder() throws Exception {
        SqlLedger ledger = db.node(0);
        assertEquals(0, ledger.size());
        List<AppendReceipt> receipts = appendAll(ledger, "a", 0, 60);
        assertEquals(60, ledger.size());
        for (int i = 0; i < 60; i++) {
            assertEquals(i, receipts.get(i).index());
            assertArrayEquals(LedgerEventCodec.leafHash(event("a", i)), receipts.get(i).leafHash());
            LedgerEntry entry = ledger.get(i);
            assertEquals(i, entry.index());
            assertEquals(event("a", i), entry.event());
            assertArrayEquals(receipts.get(i).leafHash(), entry.leafHash());
        }
        List<LedgerEntry> all = ledger.read(0, 1000);
        assertEquals(60, all.size());
        for (int i = 0; i < 60; i++) {
            assertEquals(event("a", i), all.get(i).event());
        }
        List<LedgerEntry> tail = ledger.read(55, 10);
        assertEquals(5, tail.size());
        assertEquals(55, tail.get(0).index());
        assertEquals(List.of(17L, 18L, 19L), ledger.read(17, 3).stream().map(LedgerEntry::index).toList());
        assertTrue(ledger.read(60, 5).isEmpty());
        assertTrue(ledger.read(3, 0).isEmpty());

        LedgerException e = assertThrows(LedgerException.class, () -> ledger.get(60));
        assertEquals("no event 60: the log holds 60 events", e.getMessage());
        assertThrows(LedgerException.class, () -> ledger.get(-1));
        assertThrows(LedgerException.class, () -> ledger.read(-1, 5));
        assertThrows(LedgerException.class, () -> ledger.read(0, -5));
    }

    @Test
    void everyProofVerifiesWithTheCoreVerifier() throws Exception {
        SqlLedger ledger = db.node(0);
        int n = 37;
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
        assertThrows(LedgerException.class, () -> ledger.inclusionProof(0, n + 1));
        assertThrows(LedgerException.class, () -> ledger.consistencyProof(3, 2));
        LedgerException e = assertThrows(LedgerException.class, () -> ledger.consistencyProof(3, 80));
        assertEquals("no tree of 80 events: the log holds 37", e.getMessage());
        // every complete subtree of height 1 and up is in the node table: 18 + 9 + 4 + 2 + 1 for 37 leaves
        assertEquals(34, db.query("SELECT count(*) FROM ledger_nodes"));
    }

    @Test
    void proofsOfALargerLogFromConcurrentAppenders() throws Exception {
        SqlLedger ledger = db.node(0);
        int n = 3000;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int from = t * n / 8;
            int to = (t + 1) * n / 8;
            Thread thread = new Thread(() -> {
                try {
                    appendAll(ledger, "big", from, to);
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
        List<byte[]> leaves = ledger.read(0, n).stream().map(LedgerEntry::leafHash).toList();
        MemoryMerkleTree reference = MemoryMerkleTree.of(leaves);
        assertArrayEquals(reference.rootHash(), ledger.checkpoint().rootHash());
        Random random = new Random(7);
        for (int k = 0; k < 200; k++) {
            int size = 1 + random.nextInt(n);
            int index = random.nextInt(size);
            int first = random.nextInt(size + 1);
            byte[] root = MerkleTree.rootHash(reference, size);
            MerkleTree.verifyInclusion(ledger.inclusionProof(index, size), leaves.get(index), root);
            MerkleTree.verifyConsistency(ledger.consistencyProof(first, size), MerkleTree.rootHash(reference, first),
                    root);
        }
        assertTrue(ledger.commits() < n, "appends were batched: " + ledger.commits() + " commits for " + n);
    }

    @Test
    void checkpointsVerifyWithOnlyTheDidKeyAndAreIssuedOncePerSize() throws Exception {
        SqlLedger ledger = db.node(0);
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
        assertThrows(LedgerException.class, () -> ledger.checkpoints(0, -1));

        // a restarted node (a new instance on a new pool) sees the same log and issues nothing new
        SqlLedger again = db.node(0);
        assertEquals(List.of(0L, 10L, 12L), sizes(again.checkpoints(0, 100)));
        assertArrayEquals(twelve.envelope(), again.checkpoint().envelope());
        assertEquals(3, again.checkpoints(0, 100).size(), "no new checkpoint for an unchanged size");
    }

    @Test
    void aBatchOfAppendsSignsACheckpointInItsTransaction() throws Exception {
        SqlLedger ledger = db.node(10);
        appendAll(ledger, "b", 0, 25);
        List<Checkpoint> issued = ledger.checkpoints(0, 100);
        assertEquals(List.of(10L, 20L), sizes(issued));
        for (Checkpoint c : issued) {
            CheckpointCodec.verify(c.envelope(), ledger.logKey());
            assertArrayEquals(ledger.rootHash(c.treeSize()), c.rootHash());
        }
        assertEquals(25, ledger.checkpoint().treeSize());
        assertTrue(LedgerAudit.audit(ledger, null).consistent());
    }

    private static List<Long> sizes(List<Checkpoint> checkpoints) {
        return checkpoints.stream().map(Checkpoint::treeSize).toList();
    }

    @Test
    void aRestartedNodeReadsTheSameTree() throws Exception {
        SqlLedger first = db.node(0);
        appendAll(first, "r", 0, 50);
        Checkpoint before = first.checkpoint();
        appendAll(first, "r", 50, 53);
        first.close();
        LedgerException closed = assertThrows(LedgerException.class, () -> first.append(event("late", 0)));
        assertEquals(SqlLedger.CLOSED, closed.getMessage());

        for (int round = 0; round < 3; round++) {
            SqlLedger ledger = db.node(0);
            assertEquals(53 + round, ledger.size());
            assertEquals(TestSchema.LOG_KEY.did(), ledger.logKey());
            for (int i = 0; i < 53; i++) {
                assertEquals(event("r", i), ledger.get(i).event());
            }
            assertArrayEquals(before.envelope(), ledger.checkpoints(50, 10).get(0).envelope());
            MerkleTree.verifyConsistency(ledger.consistencyProof(50, ledger.size()), before.rootHash(),
                    ledger.rootHash(ledger.size()));
            assertEquals(53 + round, ledger.append(event("again", round)).index());
            ledger.close();
        }
    }

    @Test
    void aDatabaseOfAnotherLogIsRefused() throws Exception {
        SqlLedger ledger = db.node(0);
        appendAll(ledger, "o", 0, 3);
        ledger.checkpoint();

        LedgerException e = assertThrows(LedgerException.class, () -> db.node(TestSchema.LOG_KEY, "other-log", 0));
        assertTrue(e.getMessage().contains("is the log 'test-log', but this node is configured as 'other-log'"),
                e.getMessage());

        SigningKey stranger = SigningKey.generate(KeyAlgorithm.ED25519);
        SqlLedger wrongKey = new SqlLedger(db.pool(db.driver(0), 2, 5000), db.name, stranger, "test-log", 0, true);
        e = assertThrows(LedgerException.class, wrongKey::open);
        assertTrue(e.getMessage().contains("every node needs the same key file"), e.getMessage());
        assertTrue(e.getMessage().contains(TestSchema.LOG_KEY.did()), e.getMessage());
        assertEquals(e.getMessage(), wrongKey.refusal());
        // refused for good: nothing is appended, nothing is signed under the wrong key
        assertThrows(LedgerException.class, () -> wrongKey.append(event("x", 1)));
        assertThrows(LedgerException.class, wrongKey::checkpoint);
        assertEquals(3, ledger.size());
        assertEquals(1, ledger.checkpoints(0, 10).size());
    }

    @Test
    void eventsTheFormatCannotHoldAreRefusedAndWriteNothing() throws Exception {
        SqlLedger ledger = db.node(0);
        LedgerEvent old = new LedgerEvent("t", Instant.parse("1960-01-01T00:00:00Z"), "a", new byte[1], null);
        LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(old));
        assertTrue(e.getMessage().contains("before 1970"), e.getMessage());
        LedgerEvent huge = new LedgerEvent("t", Instant.now(), "a", new byte[LedgerEventCodec.MAX_EVENT_BYTES], null);
        e = assertThrows(LedgerException.class, () -> ledger.append(huge));
        assertTrue(e.getMessage().contains("more than the"), e.getMessage());
        assertThrows(LedgerException.class, () -> ledger.append(null));
        assertEquals(0, ledger.size());
        assertEquals(0, db.query("SELECT count(*) FROM ledger_entries"));
        LedgerEvent large = new LedgerEvent("t", Instant.now(), "a", new byte[LedgerEventCodec.MAX_EVENT_BYTES - 100],
                null);
        assertEquals(0, ledger.append(large).index());
        assertEquals(large, ledger.get(0).event());
    }

    @Test
    void aFailedTransactionLeavesNothing() throws Exception {
        SqlLedger ledger = db.node(4);
        appendAll(ledger, "f", 0, 3);
        long entries = db.query("SELECT count(*) FROM ledger_entries");
        long nodes = db.query("SELECT count(*) FROM ledger_nodes");
        long checkpoints = db.query("SELECT count(*) FROM ledger_checkpoints");
        long edgeBytes = db.query("SELECT length(right_edge) FROM ledger_tree");

        // fails after the event, its nodes and a batch checkpoint (at 4 events) were written, before the commit
        ledger.commitHook = transaction -> {
            throw new SQLException("injected failure before commit", "XX000");
        };
        for (int i = 3; i < 6; i++) {
            int n = i;
            LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(event("f", n)));
            assertTrue(e.getMessage().startsWith("append failed, nothing was written: "), e.getMessage());
        }
        assertEquals(3, ledger.size());
        assertEquals(entries, db.query("SELECT count(*) FROM ledger_entries"));
        assertEquals(nodes, db.query("SELECT count(*) FROM ledger_nodes"));
        assertEquals(checkpoints, db.query("SELECT count(*) FROM ledger_checkpoints"));
        assertEquals(edgeBytes, db.query("SELECT length(right_edge) FROM ledger_tree"));

        ledger.commitHook = transaction -> {
        };
        List<AppendReceipt> receipts = appendAll(ledger, "f", 3, 6);
        assertEquals(3, receipts.get(0).index());
        assertEquals(List.of(4L), sizes(ledger.checkpoints(0, 10)));
        assertTrue(LedgerAudit.audit(ledger, null).consistent());
    }

    @Test
    void alteredEventsAreEvident() throws Exception {
        SqlLedger ledger = db.node(0);
        appendAll(ledger, "t", 0, 20);
        ledger.checkpoint();
        LedgerAudit.Result clean = LedgerAudit.audit(ledger, null);
        assertTrue(clean.consistent(), clean.firstInconsistency());
        assertNull(clean.firstInconsistency());

        // someone with database access rewrites event 7 and its leaf hash to match
        LedgerEvent forged = event("forged", 7);
        byte[] bytes = LedgerEventCodec.encode(forged);
        db.execute("UPDATE ledger_entries SET event = decode('" + java.util.HexFormat.of().formatHex(bytes)
                + "', 'hex'), leaf_hash = decode('" + java.util.HexFormat.of().formatHex(MerkleHash.leafHash(bytes))
                + "', 'hex') WHERE idx = 7");
        LedgerAudit.Result audit = LedgerAudit.audit(ledger, null);
        assertFalse(audit.consistent());
        assertTrue(audit.firstInconsistency().contains("does not match the events"), audit.firstInconsistency());

        // only the event, not its hash: reading it says so
        db.execute("UPDATE ledger_entries SET leaf_hash = decode('" + java.util.HexFormat.of().formatHex(
                new byte[32]) + "', 'hex') WHERE idx = 3");
        LedgerException e = assertThrows(LedgerException.class, () -> ledger.get(3));
        assertTrue(e.getMessage().contains("does not match its stored leaf hash"), e.getMessage());
    }
}
