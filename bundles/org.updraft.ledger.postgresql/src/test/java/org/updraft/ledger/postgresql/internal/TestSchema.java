package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A schema of its own for one test in the PostgreSQL that .ci/postgres started (URL from the system property
 * {@value #POSTGRES_PROPERTY}), dropped afterwards: the registry's tests use the same database. PostgreSQL that
 * does not answer fails the test: CI must not pass without having run against it.
 */
final class TestSchema implements AutoCloseable {

    static final String POSTGRES_PROPERTY = "updraft.test.postgres";
    static final SigningKey LOG_KEY = SigningKey.generate(KeyAlgorithm.ED25519);

    final String name;
    private final List<HikariDataSource> pools = new ArrayList<>();
    private final List<SqlLedger> ledgers = new ArrayList<>();

    private TestSchema(String name) {
        this.name = name;
    }

    static TestSchema fresh() {
        String name = "ledger_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(url(), user(), password());
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + name);
        } catch (SQLException e) {
            fail("PostgreSQL at " + url() + " is not reachable (" + e.getMessage()
                    + "): run .ci/setup, which installs and starts it (.ci/postgres)");
        }
        return new TestSchema(name);
    }

    static String url() {
        String url = System.getProperty(POSTGRES_PROPERTY);
        if (url == null || url.isBlank()) {
            fail("system property " + POSTGRES_PROPERTY + " is not set (the pom sets it for surefire);"
                    + " run .ci/setup and the build with ./mvnw");
        }
        return url;
    }

    static int port() {
        return URI.create(url().substring("jdbc:".length())).getPort();
    }

    static String user() {
        return System.getProperty(POSTGRES_PROPERTY + ".user", "updraft");
    }

    static String password() {
        return System.getProperty(POSTGRES_PROPERTY + ".password", "updraft");
    }

    /** The driver's DataSource for this schema, unpooled; through another port on 127.0.0.1 when port > 0. */
    PGSimpleDataSource driver(int port) {
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(url());
        pg.setUser(user());
        pg.setPassword(password());
        pg.setCurrentSchema(name);
        if (port > 0) {
            pg.setServerNames(new String[] {"127.0.0.1"});
            pg.setPortNumbers(new int[] {port});
            pg.setConnectTimeout(2);
        }
        return pg;
    }

    /** A pool as the component builds it, closed with the schema. */
    DataSource pool(DataSource driver, int size, long connectTimeoutMillis) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(driver);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectTimeoutMillis);
        config.setInitializationFailTimeout(-1);
        HikariDataSource pool = new HikariDataSource(config);
        pools.add(pool);
        return pool;
    }

    /** A ledger node on a pool of its own, opened: as one platform node has it. */
    SqlLedger node(long checkpointBatch) throws Exception {
        return node(LOG_KEY, "test-log", checkpointBatch);
    }

    SqlLedger node(SigningKey key, String origin, long checkpointBatch) throws Exception {
        SqlLedger ledger = new SqlLedger(pool(driver(0), 8, 5000), name, key, origin, checkpointBatch, true);
        ledgers.add(ledger);
        ledger.open();
        return ledger;
    }

    /** One number from the schema, e.g. {@code SELECT count(*) FROM ledger_nodes}. */
    long query(String sql) throws SQLException {
        try (Connection c = driver(0).getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection c = driver(0).getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static LedgerEvent event(String tag, long n) {
        byte[] payload = (tag + ":" + n + ":" + "p".repeat((int) (n % 97))).getBytes();
        return new LedgerEvent("test.event", Instant.ofEpochMilli(1_700_000_000_000L + n), "did:key:zTestActor",
                payload, n % 3 == 0 ? null : new byte[] {(byte) n, 1, 2});
    }

    @Override
    public void close() throws SQLException {
        ledgers.forEach(SqlLedger::close);
        pools.forEach(HikariDataSource::close);
        try (Connection c = DriverManager.getConnection(url(), user(), password());
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + name + " CASCADE");
        }
    }
}
