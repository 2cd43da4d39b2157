package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A fresh, empty database for one test: H2 in a file under the test's temporary folder, or a schema of its own
 * in the PostgreSQL that .ci/postgres started (URL from the system property {@value #POSTGRES_PROPERTY}).
 * PostgreSQL that does not answer fails the test: CI must not pass without having run against it.
 */
final class TestDatabase implements AutoCloseable {

    static final String POSTGRES_PROPERTY = "updraft.test.postgres";

    enum Kind {
        H2, POSTGRESQL
    }

    static Stream<Kind> kinds() {
        return Stream.of(Kind.H2, Kind.POSTGRESQL);
    }

    private final Kind kind;
    private final Path folder;
    private final String schema;
    private final List<HikariDataSource> pools = new ArrayList<>();

    private TestDatabase(Kind kind, Path folder, String schema) {
        this.kind = kind;
        this.folder = folder;
        this.schema = schema;
    }

    static TestDatabase fresh(Kind kind, Path temp) {
        if (kind == Kind.H2) {
            return new TestDatabase(kind, temp.resolve("registry"), null);
        }
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(postgresUrl(), postgresUser(), postgresPassword());
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            fail("PostgreSQL at " + postgresUrl() + " is not reachable (" + e.getMessage()
                    + "): run .ci/setup, which installs and starts it (.ci/postgres)");
        }
        return new TestDatabase(kind, null, schema);
    }

    static String postgresUrl() {
        String url = System.getProperty(POSTGRES_PROPERTY);
        if (url == null || url.isBlank()) {
            fail("system property " + POSTGRES_PROPERTY + " is not set (the pom sets it for surefire);"
                    + " run .ci/setup and the build with ./mvnw");
        }
        return url;
    }

    private static String postgresUser() {
        return System.getProperty(POSTGRES_PROPERTY + ".user", "updraft");
    }

    private static String postgresPassword() {
        return System.getProperty(POSTGRES_PROPERTY + ".password", "updraft");
    }

    Kind kind() {
        return kind;
    }

    /** PostgreSQL's DataSource for this database, but reached through another port on 127.0.0.1 (a relay). */
    DataSource driverDataSourceOnPort(int port) {
        PGSimpleDataSource pg = (PGSimpleDataSource) driverDataSource();
        pg.setServerNames(new String[] {"127.0.0.1"});
        pg.setPortNumbers(new int[] {port});
        pg.setConnectTimeout(2);
        return pg;
    }

    /** The driver's own DataSource, unpooled. */
    DataSource driverDataSource() {
        if (kind == Kind.H2) {
            JdbcDataSource h2 = new JdbcDataSource();
            h2.setURL("jdbc:h2:file:" + folder.resolve("devices"));
            return h2;
        }
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(postgresUrl());
        pg.setUser(postgresUser());
        pg.setPassword(postgresPassword());
        pg.setCurrentSchema(schema);
        return pg;
    }

    /** A new pool over this database, as the component builds it; closed with the database. */
    DataSource pool(int size) {
        return pool(driverDataSource(), size, 5000);
    }

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

    /** A registry on a new pool, schema migrated. */
    SqlDeviceRegistry registry() throws SchemaException {
        SqlDeviceRegistry registry = new SqlDeviceRegistry(pool(8), kind.name(), SchemaMigrations.shipped(), true);
        if (!registry.open()) {
            fail("registry not ready: " + registry.problem());
        }
        return registry;
    }

    @Override
    public void close() throws SQLException {
        pools.forEach(HikariDataSource::close);
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(postgresUrl(), postgresUser(), postgresPassword());
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    @Override
    public String toString() {
        return kind.name();
    }
}
