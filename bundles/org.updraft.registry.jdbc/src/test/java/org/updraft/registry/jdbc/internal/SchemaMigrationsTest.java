package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.device.RegistryException;

/** The schema runner on H2 and PostgreSQL: once per script, checksums, lock, failures named. */
class SchemaMigrationsTest {

    @TempDir
    Path temp;

    private TestDatabase db;

    @AfterEach
    void close() throws SQLException {
        if (db != null) {
            db.close();
        }
    }

    static List<TestDatabase.Kind> databases() {
        return TestDatabase.kinds().toList();
    }

    private static final SchemaScript V1 = SchemaScript.of("V1__things.sql",
            "-- things\nCREATE TABLE things (id INT NOT NULL PRIMARY KEY);\nINSERT INTO things (id) VALUES (1);\n");
    private static final SchemaScript V2 = SchemaScript.of("V2__more_things.sql",
            "CREATE TABLE more_things (id INT NOT NULL PRIMARY KEY);\n");

    @Test
    void everyScriptInTheBundleIsShippedInOrder() throws Exception {
        Path folder = Path.of("src/main/resources/org/updraft/registry/jdbc/internal/schema");
        try (Stream<Path> files = Files.list(folder)) {
            List<String> onDisk = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(onDisk, SchemaMigrations.SHIPPED, "SchemaMigrations.SHIPPED lists every script");
        }
        assertEquals(1, SchemaMigrations.shipped().latestVersion());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void scriptsRunOnceAndAreRecordedWithChecksums(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        DataSource ds = db.pool(4);

        assertEquals(1, new SchemaMigrations(List.of(V1)).migrate(ds));
        assertEquals(1, new SchemaMigrations(List.of(V1)).migrate(ds), "nothing to do the second time");
        assertEquals(2, new SchemaMigrations(List.of(V1, V2)).migrate(ds));
        assertEquals(2, new SchemaMigrations(List.of(V1, V2)).verify(ds));

        assertEquals(1, rows(ds, "SELECT COUNT(*) FROM things"), "V1's insert ran once");
        assertEquals(List.of("1 V1__things.sql " + V1.checksum(), "2 V2__more_things.sql " + V2.checksum()),
                history(ds));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void anEditedAppliedScriptStopsTheStartNamingIt(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        DataSource ds = db.pool(4);
        new SchemaMigrations(List.of(V1)).migrate(ds);
        SchemaScript edited = SchemaScript.of("V1__things.sql", V1.text().replace("VALUES (1)", "VALUES (2)"));

        SchemaException e = assertThrows(SchemaException.class,
                () -> new SchemaMigrations(List.of(edited, V2)).migrate(ds));
        assertTrue(e.getMessage().startsWith("schema script V1__things.sql was changed after it was applied"),
                e.getMessage());
        assertFalse(e.retryable());
        assertThrows(SchemaException.class, () -> new SchemaMigrations(List.of(edited)).verify(ds));
        assertEquals(1, history(ds).size(), "V2 was not applied after the refusal");

        // line ends alone are not an edit
        SchemaScript crlf = SchemaScript.of("V1__things.sql", V1.text().replace("\n", "\r\n"));
        assertEquals(1, new SchemaMigrations(List.of(crlf)).migrate(ds));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aSchemaNewerThanTheBundleIsRefused(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        DataSource ds = db.pool(4);
        new SchemaMigrations(List.of(V1, V2)).migrate(ds);
        SchemaException e = assertThrows(SchemaException.class, () -> new SchemaMigrations(List.of(V1)).migrate(ds));
        assertTrue(e.getMessage().startsWith("database schema has version 2 (V2__more_things.sql) which this bundle"
                + " does not ship"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aFailingScriptIsNamedAndNotRecorded(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        DataSource ds = db.pool(4);
        new SchemaMigrations(List.of(V1)).migrate(ds);
        SchemaScript broken = SchemaScript.of("V2__broken.sql",
                "INSERT INTO things (id) VALUES (7);\nINSERT INTO no_such_table (id) VALUES (1);\n");

        SchemaException e = assertThrows(SchemaException.class,
                () -> new SchemaMigrations(List.of(V1, broken)).migrate(ds));
        assertTrue(e.getMessage().startsWith("schema script V2__broken.sql failed at statement 2 of 2: "),
                e.getMessage());
        assertEquals(1, history(ds).size());
        assertEquals(1, rows(ds, "SELECT COUNT(*) FROM things"), "the script's first statement was rolled back");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void nodesStartingTogetherApplyEachScriptOnce(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        SchemaScript slow = SchemaScript.of("V2__slow.sql", "CREATE TABLE slow (id INT NOT NULL PRIMARY KEY);\n"
                + "INSERT INTO things (id) VALUES (2);\n");
        ExecutorService nodes = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> starts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                DataSource node = db.pool(3); // each node has its own pool
                Callable<Integer> start = () -> new SchemaMigrations(List.of(V1, slow)).migrate(node);
                starts.add(nodes.submit(start));
            }
            for (Future<Integer> start : starts) {
                assertEquals(2, start.get());
            }
        } finally {
            nodes.shutdown();
        }
        DataSource ds = db.pool(2);
        assertEquals(2, history(ds).size());
        assertEquals(2, rows(ds, "SELECT COUNT(*) FROM things"), "each script's insert ran once");
    }

    @ParameterizedTest
    @MethodSource("databases")
    void aNodeThatDoesNotMigrateWaitsForOneThatDoes(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        SqlDeviceRegistry passive = new SqlDeviceRegistry(db.pool(2), "passive", SchemaMigrations.shipped(), false);
        assertFalse(passive.open());
        assertTrue(passive.problem().contains("V1__devices.sql is not applied and migration is off"),
                passive.problem());
        RegistryException e = assertThrows(RegistryException.class, () -> passive.count(null));
        assertEquals("unavailable", e.code());

        db.registry(); // a node that migrates
        assertTrue(passive.open());
        assertEquals(0, passive.count(null));
    }

    private static long rows(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> history(DataSource ds) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version, script, checksum FROM " + SchemaMigrations.HISTORY
                        + " ORDER BY version")) {
            while (rs.next()) {
                rows.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3));
            }
        }
        return rows;
    }
}
