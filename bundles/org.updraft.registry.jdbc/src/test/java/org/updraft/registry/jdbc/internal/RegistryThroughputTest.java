package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.core.identity.VerificationKey;

/**
 * What the fleet simulator does to the registry: register 10,000 devices in one batch, then five state reports
 * each from 8 threads. Prints the rates; asserts only that the work was done (speed depends on the machine).
 */
class RegistryThroughputTest {

    private static final int DEVICES = 10_000;
    private static final int THREADS = 8;
    private static final DeviceState[] REPORTS = {DeviceState.DOWNLOADING, DeviceState.DOWNLOADED,
        DeviceState.VERIFIED, DeviceState.INSTALLED, DeviceState.IDLE};

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

    @ParameterizedTest
    @MethodSource("databases")
    void registerTenThousandThenFiveStatesEach(TestDatabase.Kind kind) throws Exception {
        db = TestDatabase.fresh(kind, temp);
        SqlDeviceRegistry registry = db.registry();
        List<Device> fleet = new ArrayList<>(DEVICES);
        String[] regions = {"eu-west", "us-east", "ap-south"};
        for (int i = 0; i < DEVICES; i++) {
            fleet.add(Devices.device(String.format("sim-%05d", i), "sensor-v2", regions[i % 3],
                    i % 10 == 0 ? Set.of("canary") : Set.of(), "1.0.0"));
        }

        // part of registerAll's time: every did:key is decoded and its point checked
        long t0 = System.nanoTime();
        for (Device d : fleet) {
            VerificationKey.fromDid(d.publicKey());
        }
        long keyNanos = System.nanoTime() - t0;

        t0 = System.nanoTime();
        registry.registerAll(fleet);
        long registerNanos = System.nanoTime() - t0;

        Instant at = Instant.parse("2025-06-01T00:00:00Z");
        // as the transport reports them: from several threads at once, each device's reports in order
        ExecutorService handlers = Executors.newFixedThreadPool(THREADS);
        t0 = System.nanoTime();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                done.add(handlers.submit(() -> {
                    for (int i = first; i < DEVICES; i += THREADS) {
                        for (int r = 0; r < REPORTS.length; r++) {
                            registry.recordState(fleet.get(i).id(), REPORTS[r], r < 3 ? "1.0.0" : "1.1.0",
                                    r < 3 ? 1 : 2, at.plusMillis(r * 1000L + i));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            handlers.shutdown();
        }
        long stateNanos = System.nanoTime() - t0;

        t0 = System.nanoTime();
        for (int i = 0; i < DEVICES; i++) {
            registry.recordSeen(fleet.get(i).id(), at.plusSeconds(60));
        }
        int flushed = registry.flushSeen();
        long seenNanos = System.nanoTime() - t0;

        System.out.printf("registry throughput on %s: registerAll(%d) %.0f ms (%.0f devices/s, of which did:key"
                + " checks %.0f ms); recordState %d calls %.0f ms (%.0f/s, %d threads); recordSeen+flush %d %.0f ms"
                + " (load average %.1f)%n", kind, DEVICES, registerNanos / 1e6, DEVICES / (registerNanos / 1e9),
                keyNanos / 1e6, DEVICES * REPORTS.length, stateNanos / 1e6,
                DEVICES * REPORTS.length / (stateNanos / 1e9), THREADS, flushed, seenNanos / 1e6,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

        assertEquals(DEVICES, registry.count(DeviceFilter.ALL));
        assertEquals(DEVICES, registry.count(DeviceFilter.ALL.withVersionRange("[1.1.0,)")));
        assertEquals(DEVICES / 10, registry.count(DeviceFilter.ALL.withTags(Set.of("canary"))));
        assertEquals(DEVICES, flushed);
    }
}
