package org.updraft.ledger.postgresql.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.LedgerNode;

/**
 * The platform nodes sharing the ledger's database, in table {@code ledger_members}: each node says it is alive
 * there at an interval (a heartbeat) and that it stopped when it stops. Times are the database's, so that the nodes'
 * clocks do not matter. A node silent for three intervals is shown {@code silent}; one silent for a week is
 * forgotten.
 */
final class NodeRoster {

    static final String TABLE = "CREATE TABLE IF NOT EXISTS ledger_members (node_id text PRIMARY KEY,"
            + " started timestamptz NOT NULL, seen timestamptz NOT NULL, heartbeat_ms bigint NOT NULL,"
            + " stopped boolean NOT NULL DEFAULT false)";
    /** Beats a node may miss before it is shown silent. */
    private static final int MISSED_BEATS = 3;

    private final DataSource pool;
    private final String where;
    private final String nodeId;
    private final Duration heartbeat;
    private final boolean migrate;
    /** Whether this node's start is recorded (the first beat records it, the others only say it is alive). */
    private volatile boolean joined;

    NodeRoster(DataSource pool, String where, String nodeId, Duration heartbeat, boolean migrate) {
        this.pool = pool;
        this.where = where;
        this.nodeId = nodeId;
        this.heartbeat = heartbeat;
        this.migrate = migrate;
    }

    String nodeId() {
        return nodeId;
    }

    /** Says this node is alive; the first call records its start (and forgets nodes silent for a week). */
    void beat() throws LedgerException {
        try (Connection c = pool.getConnection()) {
            if (!joined) {
                try (Statement s = c.createStatement()) {
                    if (migrate) {
                        s.execute(TABLE);
                    }
                    s.execute("DELETE FROM ledger_members WHERE seen < now() - interval '7 days'");
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO ledger_members (node_id, started, seen,"
                        + " heartbeat_ms, stopped) VALUES (?, now(), now(), ?, false) ON CONFLICT (node_id) DO UPDATE"
                        + " SET started = now(), seen = now(), heartbeat_ms = excluded.heartbeat_ms, stopped = false")) {
                    p.setString(1, nodeId);
                    p.setLong(2, heartbeat.toMillis());
                    p.executeUpdate();
                }
                joined = true;
                return;
            }
            try (PreparedStatement p = c.prepareStatement("UPDATE ledger_members SET seen = now(), stopped = false"
                    + " WHERE node_id = ?")) {
                p.setString(1, nodeId);
                if (p.executeUpdate() == 0) {
                    joined = false; // its row was forgotten (a week's outage): join again at the next beat
                }
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("recording that node " + nodeId + " is alive on " + where, e), e);
        }
    }

    /** Says this node stopped, so that the others do not take it for dead; best effort. */
    void stopped() throws LedgerException {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("UPDATE ledger_members SET stopped = true, seen = now()"
                        + " WHERE node_id = ?")) {
            p.setString(1, nodeId);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("recording that node " + nodeId + " stopped on " + where, e), e);
        }
    }

    List<LedgerNode> nodes() throws LedgerException {
        List<LedgerNode> nodes = new ArrayList<>();
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("SELECT node_id, started, seen, stopped,"
                        + " now() - seen > (heartbeat_ms * " + MISSED_BEATS + ") * interval '1 millisecond'"
                        + " FROM ledger_members ORDER BY node_id");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                String state = r.getBoolean(4) ? "stopped" : r.getBoolean(5) ? "silent" : "alive";
                nodes.add(new LedgerNode(r.getString(1), r.getTimestamp(2).toInstant(), r.getTimestamp(3).toInstant(),
                        state));
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("listing the platform nodes on " + where, e), e);
        }
        return nodes;
    }
}
