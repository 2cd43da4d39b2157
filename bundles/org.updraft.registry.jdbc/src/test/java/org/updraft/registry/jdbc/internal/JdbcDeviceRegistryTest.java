package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.h2.Driver;
import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.testing.Configs;

/** The component as DS runs it, on H2 through H2's own DataSourceFactory: its chores and their one thread. */
class JdbcDeviceRegistryTest {

    @TempDir
    Path dir;

    @Test
    void choresRunOnOneNamedThreadThatStopsAtDeactivationAfterTheLastFlush() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("devices");
        JdbcDeviceRegistry registry = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class,
                Map.of("url", url)), new OsgiDataSourceFactory(new Driver()));
        Thread chores = choresThread();
        assertEquals("updraft-registry-jdbc-1", chores.getName());
        assertTrue(chores.isDaemon());

        registry.register(new Device("dev-1", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "acme",
                "thermo", null, Set.of(), null, "1.0.0", 1, DeviceState.IDLE, null, Instant.now()));
        Instant seen = Instant.parse("2030-01-01T00:00:00Z");
        registry.recordSeen("dev-1", seen);
        registry.deactivate();

        chores.join(TimeUnit.SECONDS.toMillis(2));
        assertFalse(chores.isAlive(), "the chores' thread outlived deactivation");
        // the time seen, buffered for the periodic flush, was written at stop
        JdbcDeviceRegistry again = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class, Map.of("url", url)),
                new OsgiDataSourceFactory(new Driver()));
        try {
            assertEquals(seen, again.find("dev-1").orElseThrow().lastSeen());
        } finally {
            again.deactivate();
        }
    }

    private static Thread choresThread() {
        List<Thread> found = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("updraft-registry-jdbc") && t.isAlive()).toList();
        assertEquals(1, found.size(), found.toString());
        return found.get(0);
    }
}
