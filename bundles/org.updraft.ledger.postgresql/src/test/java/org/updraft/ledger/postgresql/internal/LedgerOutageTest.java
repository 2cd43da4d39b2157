package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.sql.SQLException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.log.LedgerAudit;
import org.updraft.testing.TcpRelay;

/**
 * PostgreSQL going away and coming back, seen through a relay the test switches off: every call fails in one
 * clear line meanwhile, nothing is half-written, and the same ledger works again once the database answers.
 */
class LedgerOutageTest {

    private TestSchema db;
    private TcpRelay relay;

    @BeforeEach
    void schema() throws Exception {
        db = TestSchema.fresh();
        relay = new TcpRelay(TestSchema.port());
    }

    @AfterEach
    void drop() throws SQLException {
        relay.close();
        db.close();
    }

    private SqlLedger throughRelay() {
        return new SqlLedger(db.pool(db.driver(relay.port()), 4, 1500), "relay", TestSchema.LOG_KEY, "test-log", 0,
                true);
    }

    @Test
    void aDatabaseDownAtStartOrLaterFailsCallsUntilItAnswersAgain() throws Exception {
        SqlLedger ledger = throughRelay();
        try {
            // down at start: built anyway, every call says why
            assertUnavailable(assertThrows(LedgerException.class, ledger::open));
            assertUnavailable(assertThrows(LedgerException.class, () -> ledger.append(event("a", 0))));
            assertUnavailable(assertThrows(LedgerException.class, ledger::size));

            relay.start();
            assertEquals(0L, within(15, () -> ledger.append(event("a", 0)).index()));
            ledger.append(event("a", 1));
            ledger.checkpoint();

            // down while running
            relay.stop();
            assertUnavailable(assertThrows(LedgerException.class, () -> ledger.append(event("a", 2))));
            assertUnavailable(assertThrows(LedgerException.class, () -> ledger.get(0)));
            assertUnavailable(assertThrows(LedgerException.class, () -> ledger.inclusionProof(0, 2)));
            assertUnavailable(assertThrows(LedgerException.class, ledger::checkpoint));

            // back: same ledger, same pool; the failed append left nothing
            relay.start();
            assertEquals(2L, within(15, ledger::size));
            assertEquals(2, ledger.append(event("a", 2)).index());
            assertTrue(LedgerAudit.audit(ledger, null).consistent());
        } finally {
            ledger.close();
        }
    }

    @Test
    void aConnectionCutInsideTheAppendTransactionWritesNothing() throws Exception {
        relay.start();
        SqlLedger ledger = throughRelay();
        try {
            ledger.open();
            for (int i = 0; i < 5; i++) {
                ledger.append(event("c", i));
            }
            long nodes = db.query("SELECT count(*) FROM ledger_nodes");
            // the event and its nodes are written, then the database goes away before the commit
            ledger.commitHook = transaction -> {
                relay.stop();
                try (var s = transaction.createStatement()) {
                    s.execute("SELECT 1");
                }
            };
            LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(event("c", 5)));
            assertTrue(e.getMessage().startsWith("append failed, nothing was written: "), e.getMessage());
            assertUnavailable(e);
            assertNothingAfter(5, nodes);

            // it goes away just as the commit is sent: the node cannot know the outcome, and says so
            relay.start();
            ledger.commitHook = transaction -> relay.stop();
            e = assertThrows(LedgerException.class, () -> within(15, () -> ledger.append(event("c", 5))));
            assertTrue(e.getMessage().startsWith("append: the connection to the ledger database broke while"
                    + " committing, and it cannot be asked whether the 1 events were recorded at 5: "), e.getMessage());
            assertNothingAfter(5, nodes); // here the commit never reached the server

            ledger.commitHook = transaction -> {
            };
            relay.start();
            assertEquals(5L, within(15, () -> ledger.append(event("c", 5)).index()));
            assertTrue(LedgerAudit.audit(ledger, null).consistent());
        } finally {
            ledger.close();
        }
    }

    @Test
    void anAppendWhoseCommitAnswerWasLostIsFoundCommitted() throws Exception {
        relay.start();
        SqlLedger ledger = throughRelay();
        try {
            ledger.open();
            ledger.append(event("l", 0));
            // the server committed, the answer never arrived: the node looks, and reports the append done
            ledger.committedHook = transaction -> {
                throw new SQLException("An I/O error occurred while sending to the backend.", "08006");
            };
            assertEquals(1, ledger.append(event("l", 1)).index());
            ledger.committedHook = transaction -> {
            };
            assertEquals(2, ledger.size());
            assertEquals(event("l", 1), ledger.get(1).event());
            assertEquals(2, ledger.append(event("l", 2)).index());
        } finally {
            ledger.close();
        }
    }

    private void assertNothingAfter(long size, long nodes) throws SQLException {
        assertEquals(size, db.query("SELECT size FROM ledger_tree"));
        assertEquals(size, db.query("SELECT count(*) FROM ledger_entries"));
        assertEquals(nodes, db.query("SELECT count(*) FROM ledger_nodes"));
    }

    private static void assertUnavailable(LedgerException e) {
        assertTrue(e.getMessage().contains("the ledger database is unavailable: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains(TestSchema.password() + "@"), e.getMessage());
    }

    interface Call {
        Object run() throws LedgerException;
    }

    /** The first answer of {@code call} that is not an outage, retried for up to {@code seconds}. */
    private static Object within(int seconds, Call call) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (true) {
            try {
                return call.run();
            } catch (LedgerException e) {
                if (!e.getMessage().contains("unavailable") || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }
}
