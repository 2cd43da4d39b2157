package org.updraft.registry.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.sql.DataSource;

/**
 * Brings a database's schema to the version this bundle ships, the same way on H2 and PostgreSQL.
 * <ul>
 * <li>Scripts {@code V<n>__<words>.sql} are applied in version order, each in its own transaction together with
 * its row in {@value #HISTORY} (version, script, SHA-256 checksum, time). PostgreSQL rolls a failed script back
 * whole; H2 commits each DDL statement on its own, so there a failed script may leave the statements before
 * the failing one applied (its history row is not written, and the error names the script).</li>
 * <li>An applied script whose checksum differs from the shipped one stops the registry, naming the script: the
 * database would not be what the code expects.</li>
 * <li>Nodes starting together on one database take turns: each holds a row lock on {@value #LOCK} while it
 * checks and migrates, so a script is applied exactly once.</li>
 * </ul>
 */
public final class SchemaMigrations {

    public static final String HISTORY = "updraft_schema_history";
    public static final String LOCK = "updraft_schema_lock";

    /** The scripts in this bundle, in the resource folder {@code schema} next to this class. Only ever append. */
    static final List<String> SHIPPED = List.of("V1__devices.sql");

    private static final long LOCK_WAIT_MILLIS = 120_000;

    private final List<SchemaScript> scripts;

    public SchemaMigrations(List<SchemaScript> scripts) {
        List<SchemaScript> sorted = new ArrayList<>(scripts);
        sorted.sort(Comparator.comparingInt(SchemaScript::version));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).version() == sorted.get(i - 1).version()) {
                throw new IllegalArgumentException("two schema scripts have version " + sorted.get(i).version() + ": "
                        + sorted.get(i - 1).name() + ", " + sorted.get(i).name());
            }
        }
        this.scripts = List.copyOf(sorted);
    }

    /** The migrations shipped in this bundle. */
    public static SchemaMigrations shipped() {
        return new SchemaMigrations(
                SHIPPED.stream().map(name -> SchemaScript.resource(SchemaMigrations.class, "schema", name)).toList());
    }

    /** The version the scripts lead to; 0 without scripts. */
    public int latestVersion() {
        return scripts.isEmpty() ? 0 : scripts.get(scripts.size() - 1).version();
    }

    /**
     * Applies the scripts the database lacks, under the migration lock.
     *
     * @return the schema version now
     * @throws SQLException when the database cannot be reached or the lock not taken in two minutes (try later)
     * @throws SchemaException when the schema is unusable: edited script, failed script, newer schema
     */
    public int migrate(DataSource dataSource) throws SQLException, SchemaException {
        try (Connection lock = dataSource.getConnection(); Connection work = dataSource.getConnection()) {
            createIfMissing(work, "CREATE TABLE IF NOT EXISTS " + LOCK + " (id INT NOT NULL, CONSTRAINT " + LOCK
                    + "_pk PRIMARY KEY (id))");
            try (Statement s = work.createStatement()) {
                s.executeUpdate("INSERT INTO " + LOCK + " (id) VALUES (1)");
            } catch (SQLException e) {
                if (!SqlStates.isUniqueViolation(e)) {
                    throw e;
                }
            }
            lock.setAutoCommit(false);
            try {
                takeLock(lock);
                createIfMissing(work, "CREATE TABLE IF NOT EXISTS " + HISTORY + " (version INT NOT NULL,"
                        + " script VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL,"
                        + " applied_at TIMESTAMP WITH TIME ZONE NOT NULL, execution_millis BIGINT NOT NULL,"
                        + " CONSTRAINT " + HISTORY + "_pk PRIMARY KEY (version))");
                TreeMap<Integer, String[]> applied = history(work);
                check(applied);
                int version = applied.isEmpty() ? 0 : applied.lastKey();
                for (SchemaScript script : scripts) {
                    if (!applied.containsKey(script.version())) {
                        apply(work, script);
                        version = script.version();
                    }
                }
                return version;
            } finally {
                // ends the lock transaction: releases the row for the next starter
                try {
                    lock.rollback();
                } catch (SQLException ignored) {
                    // the connection is gone and the lock with it
                }
            }
        }
    }

    /**
     * Checks the schema without changing it (a node configured not to migrate).
     *
     * @return the schema version
     * @throws SchemaException retryable when scripts are pending (another node may migrate), otherwise as
     *         {@link #migrate}
     */
    public int verify(DataSource dataSource) throws SQLException, SchemaException {
        try (Connection c = dataSource.getConnection()) {
            Map<Integer, String[]> applied;
            try {
                applied = history(c);
            } catch (SQLException e) {
                if (!SqlStates.isUndefinedTable(e)) {
                    throw e;
                }
                applied = new TreeMap<>();
            }
            check(applied);
            for (SchemaScript script : scripts) {
                if (!applied.containsKey(script.version())) {
                    throw new SchemaException("schema script " + script.name() + " is not applied and migration is"
                            + " off on this node (set migrate=true, or let a node that migrates start first)", true);
                }
            }
            return latestVersion();
        }
    }

    private void check(Map<Integer, String[]> applied) throws SchemaException {
        for (Map.Entry<Integer, String[]> row : applied.entrySet()) {
            SchemaScript shipped = scripts.stream().filter(s -> s.version() == row.getKey()).findFirst().orElse(null);
            if (shipped == null) {
                throw new SchemaException("database schema has version " + row.getKey() + " (" + row.getValue()[0]
                        + ") which this bundle does not ship (it knows up to " + latestVersion()
                        + "): a newer Updraft migrated it", false);
            }
            if (!shipped.checksum().equals(row.getValue()[1])) {
                throw new SchemaException("schema script " + shipped.name() + " was changed after it was applied"
                        + " (checksum in " + HISTORY + " " + row.getValue()[1].substring(0, 12) + "..., in the bundle "
                        + shipped.checksum().substring(0, 12) + "...); restore it and add a new script instead",
                        false);
            }
        }
    }

    private static TreeMap<Integer, String[]> history(Connection c) throws SQLException {
        TreeMap<Integer, String[]> applied = new TreeMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version, script, checksum FROM " + HISTORY)) {
            while (rs.next()) {
                applied.put(rs.getInt(1), new String[] {rs.getString(2), rs.getString(3)});
            }
        }
        return applied;
    }

    private static void apply(Connection c, SchemaScript script) throws SQLException, SchemaException {
        long start = System.nanoTime();
        c.setAutoCommit(false);
        List<String> statements = script.statements();
        int n = 0;
        try (Statement s = c.createStatement()) {
            for (String statement : statements) {
                n++;
                s.execute(statement);
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO " + HISTORY
                    + " (version, script, checksum, applied_at, execution_millis) VALUES (?, ?, ?, ?, ?)")) {
                p.setInt(1, script.version());
                p.setString(2, script.name());
                p.setString(3, script.checksum());
                p.setObject(4, OffsetDateTime.ofInstant(Instant.now(), ZoneOffset.UTC));
                p.setLong(5, (System.nanoTime() - start) / 1_000_000);
                p.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // reported below; the connection is probably gone
            }
            if (SqlStates.isConnectionFailure(e)) {
                throw e;
            }
            throw new SchemaException("schema script " + script.name() + " failed at statement " + n + " of "
                    + statements.size() + ": " + SqlStates.oneLine(e), false);
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Lock the row; H2 gives up after its lock timeout, so keep asking until our own deadline. */
    private static void takeLock(Connection lock) throws SQLException {
        long deadline = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
        while (true) {
            try (Statement s = lock.createStatement();
                    ResultSet rs = s.executeQuery("SELECT id FROM " + LOCK + " WHERE id = 1 FOR UPDATE")) {
                if (!rs.next()) {
                    throw new SQLException("the row of " + LOCK + " is missing");
                }
                return;
            } catch (SQLException e) {
                if (!SqlStates.isLockTimeout(e) || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                lock.rollback();
            }
        }
    }

    /** CREATE TABLE IF NOT EXISTS races on PostgreSQL when two nodes run it at once: the loser tries again. */
    private static void createIfMissing(Connection c, String ddl) throws SQLException {
        for (int attempt = 1;; attempt++) {
            try (Statement s = c.createStatement()) {
                s.execute(ddl);
                return;
            } catch (SQLException e) {
                if (attempt >= 3 || SqlStates.isConnectionFailure(e)) {
                    throw e;
                }
            }
        }
    }
}
