package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.RegistryException;
import org.updraft.testing.TcpRelay;

/**
 * PostgreSQL going away and coming back, seen through a relay the test switches off: the registry answers
 * "unavailable" in one line meanwhile and works again afterwards without being rebuilt.
 */
class RegistryOutageTest {

    @TempDir
    Path temp;

    private TestDatabase db;
    private TcpRelay relay;

    @AfterEach
    void close() throws SQLException {
        if (relay != null) {
            relay.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aDatabaseDownAtStartOrLaterIsUnavailableUntilItAnswersAgain() throws Exception {
        db = TestDatabase.fresh(TestDatabase.Kind.POSTGRESQL, temp);
        int port = URI.create(TestDatabase.postgresUrl().substring("jdbc:".length())).getPort();
        relay = new TcpRelay(port);
        SqlDeviceRegistry registry = new SqlDeviceRegistry(
                db.pool(db.driverDataSourceOnPort(relay.port()), 4, 1500), "relay", SchemaMigrations.shipped(), true);

        // down at start: built anyway, says why
        assertFalse(registry.open());
        assertTrue(registry.problem().startsWith("database not reachable: "), registry.problem());
        assertUnavailable(() -> registry.count(DeviceFilter.ALL));
        assertTrue(registry.status().startsWith("jdbc registry relay: device registry unavailable: "),
                registry.status());

        // up: a later call (at most one attempt a second; the pool backs off its own retries for up to a few
        // seconds) checks the schema and goes ahead
        relay.start();
        assertEquals(0L, within(15, () -> registry.count(DeviceFilter.ALL)));
        registry.register(Devices.device("dev-1"));

        // down while running
        relay.stop();
        assertUnavailable(() -> registry.find("dev-1"));
        Instant seen = Instant.parse("2025-05-01T00:00:00Z");
        registry.recordSeen("dev-1", seen);
        assertUnavailable(registry::flushSeen);
        assertEquals(1, registry.pendingSeen(), "kept for the next flush");

        // back: same registry, same pool
        relay.start();
        assertEquals(1, within(15, registry::flushSeen));
        assertEquals(seen, registry.find("dev-1").orElseThrow().lastSeen());
    }

    /** The first answer of {@code call} that is not "unavailable", retried for up to {@code seconds}. */
    private static Object within(int seconds, Call call) throws Exception {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (true) {
            try {
                return call.run();
            } catch (RegistryException e) {
                if (!e.code().equals("unavailable") || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    interface Call {
        Object run() throws RegistryException;
    }

    private static void assertUnavailable(Call call) {
        RegistryException e = assertThrows(RegistryException.class, call::run);
        assertEquals("unavailable", e.code());
        assertTrue(e.getMessage().startsWith("device registry unavailable: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
