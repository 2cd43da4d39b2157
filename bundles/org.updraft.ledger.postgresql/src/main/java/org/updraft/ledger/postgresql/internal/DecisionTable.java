package org.updraft.ledger.postgresql.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import org.updraft.api.ledger.AppendCondition;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.ledger.LedgerException;
import org.updraft.ledger.postgresql.internal.AppendQueue.Pending;

/**
 * Decisions taken once among the nodes sharing the log, in two tables next to the log's:
 * <ul>
 * <li>{@code ledger_decisions}: the key and index of every event appended with a condition. The append transaction
 * checks a decision's condition against it while it holds the tree row ({@link SqlLedger}), so no other append of
 * any node comes between the check and the commit: the check is exact, whatever the nodes' clocks.</li>
 * <li>{@code ledger_leases}: one row per lease, its holder, expiry and fencing token, all timed by the database's
 * clock. A claim takes a lease that lapsed (or renews its own) in one statement; the token grows whenever the lease
 * passes to a holder anew. A decision under a lease reads its row {@code FOR SHARE} in the append transaction, so
 * a claim by another node waits until that append has committed, and a lapsed lease appends nothing.</li>
 * </ul>
 * Row locks rather than advisory locks: an advisory lock belongs to a session, so a pooled connection or a
 * half-open TCP connection would keep a dead node's lock for as long as the server does not notice; an expiry in a
 * row lapses on the database's clock alone, and the row shows who holds what.
 */
final class DecisionTable implements DecisionLeases {

    static final String DECISIONS = "CREATE TABLE IF NOT EXISTS ledger_decisions (key text NOT NULL,"
            + " idx bigint NOT NULL, PRIMARY KEY (key, idx))";
    static final String LEASES = "CREATE TABLE IF NOT EXISTS ledger_leases (name text PRIMARY KEY,"
            + " holder text NOT NULL, token bigint NOT NULL, acquired timestamptz NOT NULL,"
            + " expires timestamptz NOT NULL)";

    private final SqlLedger log;
    private final DataSource db;
    private final String where;
    private final String nodeId;
    private final Duration leaseTime;

    DecisionTable(SqlLedger log, DataSource db, String where, String nodeId, Duration leaseTime) {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("leases need a node id");
        }
        if (leaseTime.toMillis() < 1) {
            throw new IllegalArgumentException("a lease must last at least a millisecond, not " + leaseTime);
        }
        this.log = log;
        this.db = db;
        this.where = where;
        this.nodeId = nodeId;
        this.leaseTime = leaseTime;
    }

    /**
     * In the append transaction, holding the tree row: the events of {@code batch} whose condition holds, in order;
     * the others are marked refused. An earlier decision of the same batch counts against a later one.
     */
    static List<Pending> admit(Connection c, List<Pending> batch) throws SQLException {
        List<Pending> accepted = new ArrayList<>(batch.size());
        Map<String, Integer> inBatch = new HashMap<>();
        for (Pending p : batch) {
            AppendCondition condition = p.condition;
            p.refused = false;
            if (condition != null) {
                int others = inBatch.getOrDefault(condition.key(), 0);
                if (others <= condition.othersAllowed()) {
                    others += countSince(c, condition.key(), condition.seenSize());
                }
                if (others > condition.othersAllowed() || condition.lease() != null && !held(c, condition.lease())) {
                    p.refused = true;
                    continue;
                }
                inBatch.merge(condition.key(), 1, Integer::sum);
            }
            accepted.add(p);
        }
        return accepted;
    }

    /** In the append transaction: the keys of the decisions among {@code batch}, whose first event is at {@code first}. */
    static void record(Connection c, List<Pending> batch, long first) throws SQLException {
        List<String> keys = new ArrayList<>();
        List<Long> indexes = new ArrayList<>();
        for (int k = 0; k < batch.size(); k++) {
            if (batch.get(k).condition != null) {
                keys.add(batch.get(k).condition.key());
                indexes.add(first + k);
            }
        }
        if (keys.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO ledger_decisions (key, idx)"
                + " SELECT * FROM unnest(?::text[], ?::int8[])")) {
            insert.setArray(1, c.createArrayOf("text", keys.toArray()));
            insert.setArray(2, c.createArrayOf("int8", indexes.toArray()));
            insert.executeUpdate();
        }
    }

    private static int countSince(Connection c, String key, long seenSize) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM ledger_decisions WHERE key = ? AND idx >= ?")) {
            p.setString(1, key);
            p.setLong(2, seenSize);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return (int) Math.min(Integer.MAX_VALUE, r.getLong(1));
            }
        }
    }

    private static boolean held(Connection c, Lease lease) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM ledger_leases WHERE name = ? AND holder = ?"
                + " AND token = ? AND expires > clock_timestamp() FOR SHARE")) {
            p.setString(1, lease.name());
            p.setString(2, lease.holder());
            p.setLong(3, lease.token());
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public Optional<AppendReceipt> appendDecision(LedgerEvent event, AppendCondition condition) throws LedgerException {
        return log.appendIf(event, condition);
    }

    @Override
    public Optional<Lease> claim(String name) throws LedgerException {
        if (name == null || name.isEmpty()) {
            throw new LedgerException("a lease needs a name");
        }
        log.ready();
        // the SET expressions read the row as it was: a lease still held by this node keeps its token and start
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("INSERT INTO ledger_leases AS l"
                + " (name, holder, token, acquired, expires) VALUES (?, ?, 1, clock_timestamp(),"
                + " clock_timestamp() + ? * interval '1 millisecond') ON CONFLICT (name) DO UPDATE SET"
                + " token = CASE WHEN l.holder = excluded.holder AND l.expires > clock_timestamp() THEN l.token"
                + " ELSE l.token + 1 END,"
                + " acquired = CASE WHEN l.holder = excluded.holder AND l.expires > clock_timestamp() THEN l.acquired"
                + " ELSE clock_timestamp() END,"
                + " holder = excluded.holder, expires = excluded.expires"
                + " WHERE l.holder = excluded.holder OR l.expires <= clock_timestamp()"
                + " RETURNING name, holder, token, acquired, expires")) {
            p.setString(1, name);
            p.setString(2, nodeId);
            p.setLong(3, leaseTime.toMillis());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(lease(r)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot claim lease " + name + " on " + where, e), e);
        }
    }

    /** Extends every lease this node holds that has not lapsed (the heartbeat); returns how many. */
    int renew() throws LedgerException {
        log.ready();
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("UPDATE ledger_leases SET"
                + " expires = clock_timestamp() + ? * interval '1 millisecond'"
                + " WHERE holder = ? AND expires > clock_timestamp()")) {
            p.setLong(1, leaseTime.toMillis());
            p.setString(2, nodeId);
            return p.executeUpdate();
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot renew the leases of " + nodeId + " on " + where, e),
                    e);
        }
    }

    /** Gives up every lease this node holds (it stops), so that the others need not wait for them to lapse. */
    void releaseAll() throws LedgerException {
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("UPDATE ledger_leases SET"
                + " expires = clock_timestamp() WHERE holder = ? AND expires > clock_timestamp()")) {
            p.setString(1, nodeId);
            p.executeUpdate();
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot release the leases of " + nodeId + " on " + where,
                    e), e);
        }
    }

    @Override
    public void release(Lease lease) throws LedgerException {
        log.ready();
        // the row stays, so that the next holder's token is greater than every token before it
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("UPDATE ledger_leases SET"
                + " expires = clock_timestamp() WHERE name = ? AND holder = ? AND token = ?"
                + " AND expires > clock_timestamp()")) {
            p.setString(1, lease.name());
            p.setString(2, lease.holder());
            p.setLong(3, lease.token());
            p.executeUpdate();
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot release lease " + lease.name() + " on " + where, e),
                    e);
        }
    }

    @Override
    public List<Lease> leases() throws LedgerException {
        log.ready();
        List<Lease> leases = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement p = c.prepareStatement("SELECT name, holder, token,"
                + " acquired, expires FROM ledger_leases ORDER BY name"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                leases.add(lease(r));
            }
        } catch (SQLException e) {
            throw new LedgerException(SqlFailures.describe("cannot list the leases on " + where, e), e);
        }
        return leases;
    }

    private static Lease lease(ResultSet r) throws SQLException {
        return new Lease(r.getString(1), r.getString(2), r.getLong(3), r.getTimestamp(4).toInstant(),
                r.getTimestamp(5).toInstant());
    }
}
