package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.log.MerkleTree;

/**
 * Two ledger instances on one database, as two platform nodes have it, each with its own pool and its own group
 * commit, appending from several threads at once and signing checkpoints as they go.
 */
class TwoNodesTest {

    private static final int THREADS_PER_NODE = 6;
    private static final int APPENDS_PER_THREAD = 150;

    private TestSchema db;

    @BeforeEach
    void schema() {
        db = TestSchema.fresh();
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    @Test
    void nodesStartingTogetherCreateTheTablesOnce() throws Exception {
        int count = 4;
        List<SqlLedger> started = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Thread thread = new Thread(() -> {
                try {
                    started.add(db.node(0));
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
        assertEquals(1, db.query("SELECT count(*) FROM ledger_tree"));
        for (int i = 0; i < count; i++) {
            assertEquals(i, started.get(i).append(event("s", i)).index());
        }
    }

    @Test
    void twoNodesAppendingAtOnceMakeOneTree() throws Exception {
        SqlLedger[] nodes = {db.node(50), db.node(0)};
        List<AppendReceipt> receipts = Collections.synchronizedList(new ArrayList<>());
        List<Checkpoint> seen = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int node = 0; node < nodes.length; node++) {
            for (int t = 0; t < THREADS_PER_NODE; t++) {
                SqlLedger ledger = nodes[node];
                String tag = "n" + node + "t" + t;
                boolean signer = t == 0;
                Thread thread = new Thread(() -> {
                    try {
                        for (int i = 0; i < APPENDS_PER_THREAD; i++) {
                            receipts.add(ledger.append(event(tag, i)));
                            if (signer && i % 20 == 0) {
                                seen.add(ledger.checkpoint()); // checkpoints asked for while both nodes append
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                thread.start();
                threads.add(thread);
            }
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
        int total = nodes.length * THREADS_PER_NODE * APPENDS_PER_THREAD;

        // contiguous indexes, each once, and each receipt's leaf is the event stored there
        long[] indexes = receipts.stream().mapToLong(AppendReceipt::index).sorted().toArray();
        for (int i = 0; i < total; i++) {
            assertEquals(i, indexes[i], "indexes must be 0.." + (total - 1) + " each once");
        }
        List<LedgerEntry> entries = nodes[1].read(0, total + 10);
        assertEquals(total, entries.size());
        for (AppendReceipt r : receipts) {
            assertArrayEquals(r.leafHash(), entries.get((int) r.index()).leafHash());
        }

        // one tree: both nodes give the same root and the same checkpoints
        Checkpoint latest = nodes[0].checkpoint();
        assertEquals(total, latest.treeSize());
        assertArrayEquals(latest.envelope(), nodes[1].checkpoint().envelope());
        assertArrayEquals(nodes[0].rootHash(total), nodes[1].rootHash(total));

        // every checkpoint issued (asked for, of the batch rule, the last) verifies and is unique per size
        List<Checkpoint> issued = nodes[1].checkpoints(0, 10_000);
        TreeMap<Long, Checkpoint> bySize = new TreeMap<>();
        for (Checkpoint c : issued) {
            CheckpointCodec.verify(c.envelope(), nodes[0].logKey());
            assertEquals(null, bySize.put(c.treeSize(), c), "one checkpoint per size");
        }
        for (Checkpoint c : seen) {
            assertArrayEquals(bySize.get(c.treeSize()).envelope(), c.envelope(), "what a node returned was kept");
        }
        assertTrue(issued.size() >= total / 50, issued.size() + " checkpoints");
        Checkpoint previous = null;
        for (Checkpoint c : issued) {
            if (previous != null) {
                assertTrue(!c.timestamp().isBefore(previous.timestamp()), "checkpoint times never go back");
            }
            previous = c;
        }

        // every inclusion proof verifies against the latest checkpoint, from either node
        for (LedgerEntry entry : entries) {
            SqlLedger asked = nodes[(int) (entry.index() % 2)];
            MerkleTree.verifyInclusion(asked.inclusionProof(entry.index(), total), entry.leafHash(),
                    latest.rootHash());
        }
        // consistency between every pair of issued checkpoints
        List<Checkpoint> ordered = new ArrayList<>(bySize.values());
        for (int a = 0; a < ordered.size(); a++) {
            for (int b = a; b < ordered.size(); b++) {
                Checkpoint first = ordered.get(a);
                Checkpoint second = ordered.get(b);
                SqlLedger asked = nodes[(a + b) % 2];
                MerkleTree.verifyConsistency(asked.consistencyProof(first.treeSize(), second.treeSize()),
                        first.rootHash(), second.rootHash());
            }
        }
        assertTrue(LedgerAudit.audit(nodes[0], null).consistent());
        long commits = nodes[0].commits() + nodes[1].commits();
        System.out.printf("two nodes, %d threads each: %d appends in %d transactions (%d + %d), %d checkpoints%n",
                THREADS_PER_NODE, total, commits, nodes[0].commits(), nodes[1].commits(), issued.size());
        assertTrue(commits < total, "concurrent appends of a node share transactions");
        assertTrue(Arrays.stream(indexes).distinct().count() == total);
    }
}
