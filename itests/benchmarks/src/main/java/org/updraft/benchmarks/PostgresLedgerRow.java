package org.updraft.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.ledger.postgresql.internal.SqlLedger;
import org.updraft.testing.PostgresSchema;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Row 17a (issue 17): durable appends to the PostgreSQL ledger from {@value #APPENDERS} appenders spread over two
 * nodes (two {@link SqlLedger}s with a pool of their own each, as two platform nodes have them, sharing one log),
 * against PostgreSQL's own commit rate for single-row inserts of the same size from as many connections, on the same
 * database, measured before and after. The reference is what the database does without a tree: every append has to
 * take the one tree row, so the ledger can only come near it by putting many events in each commit, and the row
 * reports how many it does.
 *
 * <p>The database is .ci/postgres's (started by .ci/setup and .ci/bench): {@code -Dupdraft.test.postgres=URL}
 * (with {@code .user} and {@code .password}) points it elsewhere. Each run uses a schema of its own, dropped after.
 */
final class PostgresLedgerRow {

    static final int APPENDERS = 64;
    static final int NODES = 2;
    /** The component's default {@code pool.size}. */
    private static final int POOL_SIZE = 8;

    private PostgresLedgerRow() {
    }

    static Row run(boolean quick) throws Exception {
        double seconds = quick ? 0.5 : 5;
        try (PostgresSchema db = PostgresSchema.create("bench")) {
            singleRowCommits(db, Math.min(1, seconds)); // warm-up: connections, the table's first pages, JIT
            double rawBefore = singleRowCommits(db, seconds);
            SigningKey logKey = SigningKey.generate(KeyAlgorithm.ED25519);
            List<SqlLedger> nodes = new ArrayList<>();
            List<HikariDataSource> pools = new ArrayList<>();
            double appendsPerSecond;
            double appendsPerCommit;
            try {
                for (int n = 0; n < NODES; n++) {
                    HikariConfig config = new HikariConfig();
                    config.setDataSource(db.dataSource());
                    config.setMaximumPoolSize(POOL_SIZE);
                    config.setMinimumIdle(POOL_SIZE);
                    HikariDataSource pool = new HikariDataSource(config);
                    pools.add(pool);
                    // checkpoints on demand only: the row measures appends, as row 6 does
                    SqlLedger node = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
                    node.open();
                    nodes.add(node);
                }
                long commitsBefore = nodes.stream().mapToLong(SqlLedger::commits).sum();
                Loops.Done appended = Loops.run("pg-appender", APPENDERS, seconds, t -> {
                    SqlLedger node = nodes.get(t % NODES);
                    String actor = "did:key:zBenchAppender" + t;
                    long[] n = {0};
                    return () -> node.append(event(actor, n[0]++));
                });
                long commits = nodes.stream().mapToLong(SqlLedger::commits).sum() - commitsBefore;
                appendsPerSecond = appended.perSecond();
                appendsPerCommit = (double) appended.operations() / commits;
                long size = nodes.get(0).size();
                if (size < appended.operations()) {
                    throw new IllegalStateException("row 17a: " + appended.operations() + " appends acknowledged but"
                            + " the log holds " + size + " events");
                }
            } finally {
                nodes.forEach(SqlLedger::close);
                pools.forEach(HikariDataSource::close);
            }
            double rawAfter = singleRowCommits(db, seconds);
            double raw = (rawBefore + rawAfter) / 2;
            return new Row("17a", "PostgreSQL ledger durable appends, " + APPENDERS + " appenders over " + NODES
                    + " nodes", appendsPerSecond, "appends/s", "single-row INSERT commits, " + APPENDERS
                    + " connections, same database", raw, "commits/s", Double.NaN, "—", false,
                    String.format("%.1f appends per commit; the database's commit rate %.0f before, %.0f after; every"
                            + " append takes the one tree row", appendsPerCommit, rawBefore, rawAfter));
        }
    }

    /** Ledger events about the size the platform writes (a device report), as row 6 appends. */
    private static LedgerEvent event(String actor, long n) {
        byte[] payload = new byte[180 + (int) (n % 40)];
        new Random(n).nextBytes(payload);
        return new LedgerEvent("device.report", Instant.ofEpochMilli(1_700_000_000_000L + n), actor, payload, null);
    }

    /** Commits per second of {@value #APPENDERS} connections each inserting one row of about an event's size. */
    private static double singleRowCommits(PostgresSchema db, double seconds) throws Exception {
        db.execute("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, body bytea NOT NULL)");
        Loops.Done inserted = Loops.run("pg-insert", APPENDERS, seconds, t -> {
            byte[] body = new byte[200];
            new Random(t).nextBytes(body);
            Connection c = db.dataSource().getConnection();
            PreparedStatement insert;
            try {
                c.setAutoCommit(true); // one commit per row
                insert = c.prepareStatement("INSERT INTO bench_rows (body) VALUES (?)");
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            return new Loops.Worker() {
                @Override
                public void once() throws SQLException {
                    insert.setBytes(1, body);
                    insert.executeUpdate();
                }

                @Override
                public void close() throws SQLException {
                    c.close();
                }
            };
        });
        db.execute("TRUNCATE bench_rows");
        return inserted.perSecond();
    }
}
