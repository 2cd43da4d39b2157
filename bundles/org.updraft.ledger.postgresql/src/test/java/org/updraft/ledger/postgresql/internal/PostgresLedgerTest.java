package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.updraft.ledger.postgresql.internal.TestSchema.event;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.osgi.PGDataSourceFactory;
import org.updraft.api.ledger.Checkpoint;
import org.updraft.api.ledger.DecisionLeases;
import org.updraft.api.ledger.Lease;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.KeyFiles;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.CheckpointCodec;
import org.updraft.testing.Configs;

/**
 * The DS component as SCR drives it, on the PostgreSQL driver's own DataSourceFactory: activate from
 * configuration (url, password file, shared key file), deactivate, again; two components on one database.
 */
class PostgresLedgerTest {

    @TempDir
    Path dir;

    private TestSchema db;
    private Path keyFile;
    private Path passwordFile;

    @BeforeEach
    void setUp() throws Exception {
        db = TestSchema.fresh();
        keyFile = dir.resolve("log-key.pem");
        KeyFiles.writePrivateKey(keyFile, SigningKey.generate(KeyAlgorithm.ED25519), null);
        passwordFile = dir.resolve("db-password");
        Files.writeString(passwordFile, TestSchema.password() + "\n", StandardCharsets.UTF_8);
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    private PostgresLedgerConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>(Map.of("url", TestSchema.url() + "?currentSchema=" + db.name,
                "user", TestSchema.user(), "password.file", passwordFile.toString(), "key.file", keyFile.toString(),
                "checkpoint.interval.seconds", 1, "checkpoint.batch", 0));
        values.putAll(overrides);
        return Configs.of(PostgresLedgerConfig.class, values);
    }

    @Test
    void startsAndStopsAnyNumberOfTimes() throws Exception {
        String did = KeyFiles.readPrivateKey(keyFile, null).did();
        for (int activation = 0; activation < 3; activation++) {
            PostgresLedger ledger = new PostgresLedger(config(Map.of()), new PGDataSourceFactory());
            assertEquals(did, ledger.logKey());
            assertEquals(activation, ledger.size());
            assertEquals(activation, ledger.append(event("a", activation)).index());
            Checkpoint checkpoint = ledger.checkpoint();
            assertEquals("updraft-log", CheckpointCodec.verify(checkpoint.envelope(), did).origin());
            ledger.deactivate();
            LedgerException e = assertThrows(LedgerException.class, () -> ledger.append(event("late", 0)));
            assertEquals(SqlLedger.CLOSED, e.getMessage());
        }
    }

    @Test
    void twoComponentsShareOneLogAndTheIntervalSignsWhatEitherAppended() throws Exception {
        PostgresLedger first = new PostgresLedger(config(Map.of()), new PGDataSourceFactory());
        PostgresLedger second = new PostgresLedger(config(Map.of()), new PGDataSourceFactory());
        try {
            assertEquals(0, first.append(event("x", 0)).index());
            assertEquals(1, second.append(event("x", 1)).index());
            assertEquals(event("x", 1), first.get(1).event());
            // nobody asks: the interval chore (1 s here) of one of them signs the grown log
            long deadline = System.currentTimeMillis() + 10_000;
            List<Checkpoint> issued = List.of();
            while (issued.isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                issued = first.checkpoints(2, 10);
            }
            assertEquals(1, issued.size(), "one checkpoint for size 2, whichever node signed it");
            assertEquals(2, issued.get(0).treeSize());
        } finally {
            first.deactivate();
            second.deactivate();
        }
    }

    @Test
    void configurationItCannotUseIsNamed() throws Exception {
        LedgerException e = assertThrows(LedgerException.class, () -> new PostgresLedger(
                config(Map.of("key.file", dir.resolve("missing.pem").toString())), new PGDataSourceFactory()));
        assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("same file"), e.getMessage());
        e = assertThrows(LedgerException.class,
                () -> new PostgresLedger(config(Map.of("key.file", " ")), new PGDataSourceFactory()));
        assertTrue(e.getMessage().contains("'key.file' is empty"), e.getMessage());
        e = assertThrows(LedgerException.class,
                () -> new PostgresLedger(config(Map.of("pool.size", 1)), new PGDataSourceFactory()));
        assertTrue(e.getMessage().contains("pool.size must be at least 2"), e.getMessage());

        // another log's key: activation fails, naming both keys, and the password is in no message
        Path otherKey = dir.resolve("other.pem");
        KeyFiles.writePrivateKey(otherKey, SigningKey.generate(KeyAlgorithm.ED25519), null);
        new PostgresLedger(config(Map.of()), new PGDataSourceFactory()).deactivate();
        e = assertThrows(LedgerException.class, () -> new PostgresLedger(
                config(Map.of("key.file", otherKey.toString())), new PGDataSourceFactory()));
        assertTrue(e.getMessage().contains("every node needs the same key file"), e.getMessage());

        // a wrong password: the component starts, calls say the database refuses, without the password
        Path wrong = dir.resolve("wrong-password");
        Files.writeString(wrong, "not-the-password-4711\n");
        PostgresLedger ledger = new PostgresLedger(
                config(Map.of("password.file", wrong.toString(), "connect.timeout", 1)), new PGDataSourceFactory());
        try {
            e = assertThrows(LedgerException.class, ledger::size);
            assertFalse(e.getMessage().contains("not-the-password-4711"), e.getMessage());
        } finally {
            ledger.deactivate();
        }
    }

    @Test
    void aNodesHeartbeatKeepsItsLeasesAndItsStopGivesThemBack() throws Exception {
        LedgerException e = assertThrows(LedgerException.class, () -> new PostgresLedger(
                config(Map.of("lease.seconds", 5, "node.heartbeat.seconds", 5)), new PGDataSourceFactory()));
        assertTrue(e.getMessage().contains("lease.seconds (5) must be longer than node.heartbeat.seconds (5)"),
                e.getMessage());

        Map<String, Object> timing = Map.of("lease.seconds", 2, "node.heartbeat.seconds", 1);
        Map<String, Object> a = new HashMap<>(timing);
        a.put("node.id", "node-a");
        Map<String, Object> b = new HashMap<>(timing);
        b.put("node.id", "node-b");
        PostgresLedger first = new PostgresLedger(config(a), new PGDataSourceFactory());
        PostgresLedger second = new PostgresLedger(config(b), new PGDataSourceFactory());
        try {
            DecisionLeases leasesA = first.decisions().orElseThrow();
            DecisionLeases leasesB = second.decisions().orElseThrow();
            assertEquals("node-a", leasesA.nodeId());
            Lease held = leasesA.claim("rollout/r1").orElseThrow();
            Thread.sleep(3500); // longer than the lease: only the heartbeat renews it
            assertTrue(leasesB.claim("rollout/r1").isEmpty(), "a's heartbeat kept its lease");
            assertTrue(leasesB.leases().get(0).expires().isAfter(held.expires()), "renewed");
            first.deactivate(); // a stops: its lease is given back at once
            Lease taken = leasesB.claim("rollout/r1").orElseThrow();
            assertEquals(held.token() + 1, taken.token());
        } finally {
            second.deactivate();
        }
    }

    @Test
    void theGeneratedComponentDescriptionOffersThePostgresqlKind() throws Exception {
        String xml;
        try (var in = PostgresLedger.class.getResourceAsStream("/OSGI-INF/" + PostgresLedger.class.getName()
                + ".xml")) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(xml.contains("configuration-pid=\"org.updraft.ledger.postgresql\""), xml);
        assertTrue(xml.contains("configuration-policy=\"require\""), xml);
        assertTrue(xml.contains("<property name=\"ledger.kind\" type=\"String\" value=\"postgresql\"/>"), xml);
        assertTrue(xml.contains("<provide interface=\"org.updraft.api.ledger.Ledger\"/>"), xml);
        assertTrue(xml.contains("target=\"(osgi.jdbc.driver.class=org.postgresql.Driver)\""), xml);
        assertTrue(xml.contains("<property name=\"password.file\""), xml);
    }
}
