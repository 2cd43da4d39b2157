package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.AppendCondition;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.Lease;

/** Conditional appends and leases of two nodes on one database. */
class DecisionTableTest {

    private TestSchema db;

    @BeforeEach
    void schema() {
        db = TestSchema.fresh();
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    private DecisionLeases node(String id, Duration leaseTime) throws Exception {
        SqlLedger ledger = db.node(0);
        ledger.shareDecisions(id, leaseTime);
        return ledger.decisions().orElseThrow();
    }

    /** Each of {@code threads} threads per node appends one decision under {@code key}, all from the same view. */
    private int race(List<DecisionLeases> nodes, int threads, String key, int othersAllowed) throws Exception {
        long seen = db.node(0).size();
        ExecutorService pool = Executors.newFixedThreadPool(threads * nodes.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<AppendReceipt>>> results = new ArrayList<>();
        try {
            int n = 0;
            for (DecisionLeases node : nodes) {
                for (int t = 0; t < threads; t++) {
                    long tag = n++;
                    Callable<Optional<AppendReceipt>> append = () -> {
                        go.await();
                        return node.appendDecision(event(key, tag), new AppendCondition(key, seen, othersAllowed, null));
                    };
                    results.add(pool.submit(append));
                }
            }
            go.countDown();
            int appended = 0;
            for (Future<Optional<AppendReceipt>> f : results) {
                appended += f.get().isPresent() ? 1 : 0;
            }
            return appended;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void decisionsRacingFromTwoNodesOnOneViewAppendOnlyWhatTheirConditionAllows() throws Exception {
        List<DecisionLeases> nodes = List.of(node("a", Duration.ofSeconds(30)), node("b", Duration.ofSeconds(30)));
        assertEquals(1, race(nodes, 8, "rollout/r1", 0), "one decision among 16 that saw the same log");
        assertEquals(1, db.query("SELECT count(*) FROM ledger_entries"));
        assertEquals(4, race(nodes, 8, "offers/r1/0", 3), "four slots were free: four offers");
        assertEquals(5, db.query("SELECT count(*) FROM ledger_entries"));
        // another key is not held back by these; plain appends are not either
        assertEquals(1, race(nodes, 2, "rollout/r2", 0));
        db.node(0).append(event("plain", 1));
        long size = db.node(0).size();
        // a decider that saw everything so far may decide again; one that saw less may not
        assertTrue(nodes.get(0).appendDecision(event("x", 1), AppendCondition.onlyOne("rollout/r1", size, null))
                .isPresent());
        assertFalse(nodes.get(1).appendDecision(event("x", 2), AppendCondition.onlyOne("rollout/r1", size, null))
                .isPresent());
        assertEquals(size + 1, db.node(0).size(), "the refused decision appended nothing");
    }

    @Test
    void aLeaseHasOneHolderPassesOnWhenItLapsesAndFencesItsFormerHolder() throws Exception {
        DecisionLeases a = node("node-a", Duration.ofMillis(1500));
        DecisionLeases b = node("node-b", Duration.ofMillis(1500));
        Lease first = a.claim("rollout/r1").orElseThrow();
        assertEquals("node-a", first.holder());
        assertTrue(b.claim("rollout/r1").isEmpty(), "held by a");
        Lease renewed = a.claim("rollout/r1").orElseThrow();
        assertEquals(first.token(), renewed.token(), "a renewal keeps the token");
        assertTrue(renewed.expires().isAfter(first.expires()) || renewed.expires().equals(first.expires()));
        assertTrue(a.appendDecision(event("d", 1), AppendCondition.onlyOne("rollout/r1", db.node(0).size(), renewed))
                .isPresent(), "the holder decides");
        assertTrue(b.appendDecision(event("d", 2), AppendCondition.onlyOne("rollout/r1", db.node(0).size(),
                new Lease("rollout/r1", "node-b", first.token(), first.acquired(), first.expires()))).isEmpty(),
                "a lease b does not hold fences b off");

        Thread.sleep(1800); // a stops renewing: killed, paused, cut off
        Lease taken = b.claim("rollout/r1").orElseThrow();
        assertEquals("node-b", taken.holder());
        assertEquals(first.token() + 1, taken.token(), "a new holder, a new token");
        long size = db.node(0).size();
        assertTrue(a.appendDecision(event("d", 3), AppendCondition.onlyOne("rollout/r1", size, renewed)).isEmpty(),
                "a's lapsed lease appends nothing, though its view is current");
        assertTrue(b.appendDecision(event("d", 4), AppendCondition.onlyOne("rollout/r1", size, taken)).isPresent());
        assertTrue(a.claim("rollout/r1").isEmpty(), "b holds it now");

        b.release(taken);
        Lease back = a.claim("rollout/r1").orElseThrow();
        assertEquals(taken.token() + 1, back.token(), "released: a takes it at once, with a token past b's");
        assertEquals(List.of("rollout/r1"), a.leases().stream().map(Lease::name).toList());
        assertEquals("node-a", b.leases().get(0).holder());
    }

    @Test
    void theHeartbeatRenewsTheLeasesOfItsNodeOnly() throws Exception {
        SqlLedger ledger = db.node(0);
        ledger.shareDecisions("node-a", Duration.ofMillis(1200));
        DecisionTable a = (DecisionTable) ledger.decisions().orElseThrow();
        DecisionLeases b = node("node-b", Duration.ofMillis(1200));
        a.claim("one").orElseThrow();
        b.claim("two").orElseThrow();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(500);
            assertEquals(1, a.renew());
        }
        assertTrue(b.claim("one").isEmpty(), "a's heartbeat kept its lease for 2 s, longer than it lasts");
        assertTrue(a.claim("two").isPresent(), "b's lapsed");
        a.releaseAll();
        assertTrue(b.claim("one").isPresent());
    }
}
