package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.cbor.CborException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.ViewSnapshot;

/**
 * Table {@code ledger_snapshots} on the real PostgreSQL: per view the snapshot of the largest tree size any node
 * saved, sealed under the log key; none kept unless configured.
 */
class SqlViewSnapshotsTest {

    private TestSchema db;
    private SqlLedger ledger;

    @BeforeEach
    void open() throws Exception {
        db = TestSchema.fresh();
        ledger = new SqlLedger(db.driver(0), db.name, TestSchema.LOG_KEY, "test-log", 0, true);
        ledger.open();
    }

    @AfterEach
    void close() throws Exception {
        ledger.close();
        db.close();
    }

    @Test
    void theLargestTreeSizeWinsWhicheverNodeSavesLast() throws Exception {
        assertEquals(Optional.empty(), ledger.snapshots(), "none kept unless configured");
        ledger.keepSnapshots(100, 0);
        ViewSnapshots snapshots = ledger.snapshots().orElseThrow();
        assertEquals(100, snapshots.everyEvents());
        assertEquals(Optional.empty(), snapshots.load("rollouts"));

        snapshots.save("rollouts", 10, new byte[] {10});
        snapshots.save("rollouts", 5, new byte[] {5}); // a node that lags behind
        assertArrayEquals(new byte[] {10}, ViewSnapshot.open(snapshots.load("rollouts").orElseThrow(),
                TestSchema.LOG_KEY.did()));
        snapshots.save("rollouts", 20, new byte[] {20});
        snapshots.save("trust", 3, new byte[] {3});
        assertArrayEquals(new byte[] {20}, ViewSnapshot.open(snapshots.load("rollouts").orElseThrow(),
                TestSchema.LOG_KEY.did()));
        assertEquals(2, db.query("SELECT count(*) FROM ledger_snapshots"));

        // sealed by the log key: under another key the seal does not verify
        String other = SigningKey.generate(KeyAlgorithm.ED25519).did();
        assertThrows(CborException.class, () -> ViewSnapshot.open(snapshots.load("trust").orElseThrow(), other));
        assertThrows(LedgerException.class, () -> snapshots.save("../etc", 1, new byte[] {1}));
        assertTrue(ledger.snapshots().isPresent());
        ledger.keepSnapshots(0, 0);
        assertEquals(Optional.empty(), ledger.snapshots());
    }
}
