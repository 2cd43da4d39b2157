package org.updraft.ledger.postgresql.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

import javax.sql.DataSource;

import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ViewSnapshots;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.ViewSnapshot;

/**
 * The views' snapshots of the shared log, in table {@code ledger_snapshots}: one row per view, the snapshot of the
 * largest tree size any node saved, sealed under the log key that every node holds. A node that starts takes the
 * newest snapshot whichever node saved it.
 */
final class SqlViewSnapshots implements ViewSnapshots {

    static final String TABLE = "CREATE TABLE IF NOT EXISTS ledger_snapshots (view text PRIMARY KEY,"
            + " tree_size bigint NOT NULL CHECK (tree_size >= 0), saved_at timestamptz NOT NULL DEFAULT now(),"
            + " snapshot bytea NOT NULL)";

    private final DataSource db;
    private final String where;
    private final SigningKey key;
    private final long everyEvents;
    private final long everySeconds;

    SqlViewSnapshots(DataSource db, String where, SigningKey key, long everyEvents, long everySeconds) {
        this.db = db;
        this.where = where;
        this.key = key;
        this.everyEvents = Math.max(0, everyEvents);
        this.everySeconds = Math.max(0, everySeconds);
    }

    @Override
    public long everyEvents() {
        return everyEvents;
    }

    @Override
    public long everySeconds() {
        return everySeconds;
    }

    @Override
    public void save(String view, long treeSize, byte[] snapshot) throws LedgerException {
        check(view);
        byte[] sealed = ViewSnapshot.seal(snapshot, key);
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement(
                "INSERT INTO ledger_snapshots (view, tree_size, snapshot) VALUES (?, ?, ?) ON CONFLICT (view) DO UPDATE"
                        + " SET tree_size = excluded.tree_size, saved_at = now(), snapshot = excluded.snapshot"
                        + " WHERE ledger_snapshots.tree_size < excluded.tree_size")) {
            p.setString(1, view);
            p.setLong(2, treeSize);
            p.setBytes(3, sealed);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot save the snapshot of view " + view + " at " + where,
                    e), e);
        }
    }

    @Override
    public Optional<byte[]> load(String view) throws LedgerException {
        check(view);
        try (Connection c = db.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT snapshot FROM ledger_snapshots WHERE view = ?")) {
            p.setString(1, view);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot read the snapshot of view " + view + " at " + where,
                    e), e);
        }
    }

    private static void check(String view) throws LedgerException {
        if (!ViewSnapshot.validName(view)) {
            throw new LedgerException("not a view name: " + view);
        }
    }
}
