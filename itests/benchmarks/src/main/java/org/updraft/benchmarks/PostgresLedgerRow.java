package org.updraft.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.postgresql.ds.PGSimpleDataSource;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.ledger.postgresql.internal.SqlLedger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Row 14 (issue 17): durable appends to the PostgreSQL ledger from {@value #APPENDERS} appenders spread over two
 * nodes (two {@link SqlLedger}s with a pool of their own each, as two platform nodes have them, sharing one log),
 * against PostgreSQL's own commit rate for single-row inserts of the same size from as many connections, on the same
 * database, measured before and after. The reference is what the database does without a tree: every append has to
 * take the one tree row, so the ledger can only come near it by putting many events in each commit, and the row
 * reports how many it does.
 *
 * <p>The database is .ci/postgres's (started by .ci/setup and .ci/bench): {@code -Dupdraft.bench.postgres=URL}
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
        try (Schema db = Schema.create()) {
            singleRowCommits(db, Math.min(1, seconds)); // warm-up: connections, the table's first pages, JIT
            double rawBefore = singleRowCommits(db, seconds);
            SigningKey logKey = SigningKey.generate(KeyAlgorithm.ED25519);
            List<SqlLedger> nodes = new ArrayList<>();
            List<HikariDataSource> pools = new ArrayList<>();
            double appendsPerSecond;
            double appendsPerCommit;
            try {
                for (int n = 0; n < NODES; n++) {
                    HikariDataSource pool = db.pool(POOL_SIZE);
                    pools.add(pool);
                    // checkpoints on demand only: the row measures appends, as row 6 does
                    SqlLedger node = new SqlLedger(pool, "bench", logKey, "bench-log", 0, true);
                    node.open();
                    nodes.add(node);
                }
                AtomicLong appended = new AtomicLong();
                long commitsBefore = nodes.stream().mapToLong(SqlLedger::commits).sum();
                long start = System.nanoTime();
                long end = start + (long) (seconds * 1e9);
                List<Thread> appenders = new ArrayList<>();
                List<Throwable> failures = new ArrayList<>();
                for (int t = 0; t < APPENDERS; t++) {
                    SqlLedger node = nodes.get(t % NODES);
                    String actor = "did:key:zBenchAppender" + t;
                    Thread appender = new Thread(() -> {
                        long i = 0;
                        try {
                            while (System.nanoTime() < end) {
                                node.append(event(actor, i++));
                                appended.incrementAndGet();
                            }
                        } catch (Exception e) {
                            synchronized (failures) {
                                failures.add(e);
                            }
                        }
                    }, "pg-appender-" + t);
                    appender.start();
                    appenders.add(appender);
                }
                for (Thread appender : appenders) {
                    appender.join();
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                if (!failures.isEmpty()) {
                    throw new IllegalStateException("row 14: an append failed", failures.get(0));
                }
                long commits = nodes.stream().mapToLong(SqlLedger::commits).sum() - commitsBefore;
                appendsPerSecond = appended.get() / elapsed;
                appendsPerCommit = (double) appended.get() / commits;
                long size = nodes.get(0).size();
                if (size < appended.get()) {
                    throw new IllegalStateException("row 14: " + appended.get() + " appends acknowledged but the log"
                            + " holds " + size + " events");
                }
            } finally {
                nodes.forEach(SqlLedger::close);
                pools.forEach(HikariDataSource::close);
            }
            double rawAfter = singleRowCommits(db, seconds);
            double raw = (rawBefore + rawAfter) / 2;
            return new Row("14", "PostgreSQL ledger durable appends, " + APPENDERS + " appenders over " + NODES
                    + " nodes", appendsPerSecond, "appends/s", "single-row INSERT commits, " + APPENDERS
                    + " connections, same database", raw, "commits/s", Double.NaN, "—",
                    false, String.format("%.1f appends per commit; the database's commit rate %.0f before, %.0f after"
                            + "; every append takes the one tree row", appendsPerCommit, rawBefore, rawAfter));
        }
    }

    /** Ledger events about the size the platform writes (a device report), as row 6 appends. */
    private static LedgerEvent event(String actor, long n) {
        byte[] payload = new byte[180 + (int) (n % 40)];
        new Random(n).nextBytes(payload);
        return new LedgerEvent("device.report", Instant.ofEpochMilli(1_700_000_000_000L + n), actor, payload, null);
    }

    /** Commits per second of {@value #APPENDERS} connections each inserting one row of about an event's size. */
    private static double singleRowCommits(Schema db, double seconds) throws Exception {
        db.execute("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, body bytea NOT NULL)");
        AtomicLong committed = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<Thread> writers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < APPENDERS; t++) {
            int writer = t;
            Thread thread = new Thread(() -> {
                byte[] body = new byte[200];
                new Random(writer).nextBytes(body);
                try (Connection c = db.connection();
                        PreparedStatement insert = c.prepareStatement("INSERT INTO bench_rows (body) VALUES (?)")) {
                    c.setAutoCommit(true); // one commit per row
                    while (System.nanoTime() < end) {
                        insert.setBytes(1, body);
                        insert.executeUpdate();
                        committed.incrementAndGet();
                    }
                } catch (SQLException e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "pg-insert-" + t);
            thread.start();
            writers.add(thread);
        }
        for (Thread thread : writers) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (!failures.isEmpty()) {
            throw new IllegalStateException("row 14: a reference insert failed", failures.get(0));
        }
        db.execute("TRUNCATE bench_rows");
        return committed.get() / elapsed;
    }

    /** A schema of its own in the benchmark's database, dropped on close. */
    private static final class Schema implements AutoCloseable {
        private final String url = System.getProperty("updraft.bench.postgres",
                "jdbc:postgresql://127.0.0.1:5432/updraft_test");
        private final String user = System.getProperty("updraft.bench.postgres.user", "updraft");
        private final String password = System.getProperty("updraft.bench.postgres.password", "updraft");
        private final String name = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

        static Schema create() throws SQLException {
            Schema schema = new Schema();
            try {
                schema.executeOutside("CREATE SCHEMA " + schema.name);
            } catch (SQLException e) {
                throw new SQLException("PostgreSQL at " + schema.url + " does not answer (" + e.getMessage()
                        + "): .ci/setup installs it and .ci/postgres starts it", e);
            }
            return schema;
        }

        Connection connection() throws SQLException {
            return source().getConnection();
        }

        HikariDataSource pool(int size) {
            HikariConfig config = new HikariConfig();
            config.setDataSource(source());
            config.setMaximumPoolSize(size);
            config.setMinimumIdle(size);
            return new HikariDataSource(config);
        }

        void execute(String sql) throws SQLException {
            try (Connection c = connection(); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        private PGSimpleDataSource source() {
            PGSimpleDataSource pg = new PGSimpleDataSource();
            pg.setURL(url);
            pg.setUser(user);
            pg.setPassword(password);
            pg.setCurrentSchema(name);
            return pg;
        }

        private void executeOutside(String sql) throws SQLException {
            try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        @Override
        public void close() throws SQLException {
            executeOutside("DROP SCHEMA " + name + " CASCADE");
        }
    }
}
