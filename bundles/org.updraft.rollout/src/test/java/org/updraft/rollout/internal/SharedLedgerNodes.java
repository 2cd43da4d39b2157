package org.updraft.rollout.internal;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.postgresql.ds.PGSimpleDataSource;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.ledger.postgresql.internal.SqlLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.testing.Configs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * Platform nodes on real components sharing one PostgreSQL ledger (a schema of its own in the database .ci/postgres
 * started, dropped afterwards), as several Karaf nodes have it: each node its own pool, ledger instance, trust
 * store, release index, rollout engine and update service. The device registry is shared in memory, as the
 * nodes share one registry database; so are the clock and the devices' keys and counters (a device may report to
 * any node).
 */
final class SharedLedgerNodes implements AutoCloseable {

    static final String POSTGRES_PROPERTY = "updraft.test.postgres";
    static final String VENDOR = Platform.VENDOR;
    static final String CLASS = Platform.CLASS;

    /** One platform node. */
    final class Node {
        final String id;
        final HikariDataSource pool;
        final SqlLedger ledger;
        final LedgerTrustStore trust;
        final PlatformReleaseService releases;
        final RolloutEngineComponent engine;
        final PlatformRolloutService rollouts;
        final PlatformUpdateService updates;

        Node(String id, Duration leaseTime, long reviewSeconds) throws Exception {
            this.id = id;
            HikariConfig config = new HikariConfig();
            config.setDataSource(driver());
            config.setMaximumPoolSize(8);
            config.setMinimumIdle(1);
            config.setConnectionTimeout(5000);
            this.pool = new HikariDataSource(config);
            this.ledger = new SqlLedger(pool, schema, LOG_KEY, "test-log", 1000, true);
            ledger.open();
            ledger.shareDecisions(id, leaseTime);
            this.trust = new LedgerTrustStore(ledger);
            this.releases = new PlatformReleaseService(ledger, trust);
            this.engine = new RolloutEngineComponent(Configs.of(RolloutEngineComponent.Config.class,
                    Map.of("lease.review.seconds", reviewSeconds)), ledger, registry, clock);
            this.updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class,
                    Map.of("statement.key.file", dir.resolve("statement-key.pem").toString())), engine, releases, trust);
            this.rollouts = new PlatformRolloutService(engine, releases, trust);
        }

        /** Check, then report the given final state through this node, the way the device agent does. */
        UpdateAnswer.Offer update(String deviceId, DeviceState end) throws Exception {
            UpdateAnswer answer = updates.check(deviceId, registry.find(deviceId).orElseThrow().installedSequence());
            if (!(answer instanceof UpdateAnswer.Offer offer)) {
                throw new AssertionError(deviceId + " was not offered an update on " + id + ": " + answer);
            }
            long seq = end == DeviceState.INSTALLED ? offer.release().sequence() : 1;
            updates.report(report(deviceId, offer.rolloutId(), offer.release().id(), DeviceState.DOWNLOADING, 1));
            updates.report(report(deviceId, offer.rolloutId(), offer.release().id(), end, seq));
            return offer;
        }

        /** Killed: its connections cut first, so that nothing it holds is given back; then its threads stop. */
        void kill() {
            pool.close();
            updates.deactivate();
            engine.close();
            ledger.close();
            nodes.remove(this);
        }

        void stop() {
            updates.deactivate();
            engine.close();
            ledger.close();
            pool.close();
        }
    }

    static final SigningKey LOG_KEY = SigningKey.generate(KeyAlgorithm.ED25519);

    final String schema;
    final Path dir;
    final TestClock clock = new TestClock(Instant.parse("2026-03-01T12:00:00Z"));
    final MemoryRegistry registry = new MemoryRegistry();
    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final Map<String, SigningKey> deviceKeys = new ConcurrentHashMap<>();
    final Map<String, Long> counters = new ConcurrentHashMap<>();
    private final List<Node> nodes = new ArrayList<>();

    SharedLedgerNodes(Path dir) {
        this.dir = dir;
        this.schema = "rollout_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(url(), user(), password());
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            fail("PostgreSQL at " + url() + " is not reachable (" + e.getMessage()
                    + "): run .ci/setup, which installs and starts it (.ci/postgres)");
        }
    }

    private static String url() {
        String url = System.getProperty(POSTGRES_PROPERTY);
        if (url == null || url.isBlank()) {
            fail("system property " + POSTGRES_PROPERTY + " is not set (the pom sets it for surefire)");
        }
        return url;
    }

    private static String user() {
        return System.getProperty(POSTGRES_PROPERTY + ".user", "updraft");
    }

    private static String password() {
        return System.getProperty(POSTGRES_PROPERTY + ".password", "updraft");
    }

    private PGSimpleDataSource driver() {
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(url());
        pg.setUser(user());
        pg.setPassword(password());
        pg.setCurrentSchema(schema);
        return pg;
    }

    /** A node named {@code id} whose leases last {@code leaseTime}, reviewed every {@code reviewSeconds}. */
    Node node(String id, Duration leaseTime, long reviewSeconds) throws Exception {
        Node n = new Node(id, leaseTime, reviewSeconds);
        nodes.add(n);
        return n;
    }

    /** Trusts the vendor key and publishes a release signed by it, through {@code node}. */
    Release publish(Node node, long sequence) throws Exception {
        node.trust.register(vendorKey.did(), VENDOR, Set.of());
        byte[] image = new byte[4096];
        new Random(sequence).nextBytes(image);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        Manifest m = new Manifest(VENDOR, CLASS, null, "2.0." + sequence, sequence, image.length, sha, Cid.v0(sha),
                null, clock.instant(), vendorKey.did());
        byte[] signed = ManifestCodec.sign(m, vendorKey);
        node.ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, clock.instant(), vendorKey.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return node.releases.find(m.releaseId()).orElseThrow();
    }

    /** Registers {@code n} devices {@code prefix-00000…}, spread over the regions in turn. */
    List<String> fleet(String prefix, int n, String... regions) throws Exception {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("%s-%05d", prefix, i);
            SigningKey key = deviceKeys.computeIfAbsent(id, k -> SigningKey.generate(KeyAlgorithm.ED25519));
            devices.add(new Device(id, key.did(), VENDOR, CLASS, null, Set.of(), regions[i % regions.length], "1.0.0",
                    1, DeviceState.IDLE, null, clock.instant()));
        }
        registry.registerAll(devices);
        return devices.stream().map(Device::id).toList();
    }

    /** A report signed by the device's key, with the device's next counter. */
    byte[] report(String deviceId, String rolloutId, String releaseId, DeviceState state, long sequence) {
        long counter = counters.merge(deviceId, 1L, Long::sum);
        String version = state == DeviceState.INSTALLED ? "2.0." + sequence : "1.0.0";
        return DeviceReports.sign(new DeviceReport(deviceId, rolloutId, releaseId, state,
                state.isFailure() ? "test says so" : null, version, sequence, clock.instant(), counter),
                deviceKeys.get(deviceId));
    }

    /**
     * The device's report as the node that took it appends it, without the node looking at the thresholds after:
     * what a node that dies between the two leaves on the ledger.
     */
    void reportedOnly(Node node, String deviceId, String rolloutId, String releaseId, DeviceState state, long sequence)
            throws Exception {
        byte[] signed = report(deviceId, rolloutId, releaseId, state, sequence);
        node.ledger.append(new LedgerEvent(EventTypes.DEVICE_REPORTED, clock.instant(),
                deviceKeys.get(deviceId).did(), DeviceEvents.reported(DeviceReports.parse(signed)), null));
    }

    /** The rollout.changed events of a rollout on the ledger, in order. */
    List<RolloutEvents.Changed> changes(String rolloutId) throws Exception {
        List<RolloutEvents.Changed> changes = new ArrayList<>();
        for (LedgerEntry e : events(EventTypes.ROLLOUT_CHANGED)) {
            RolloutEvents.Changed c = (RolloutEvents.Changed) RolloutEvents.decode(e.event().type(), e.event().payload());
            if (c.rollout().equals(rolloutId)) {
                changes.add(c);
            }
        }
        return changes;
    }

    /** Devices named in rollout.offered events of a rollout, once per event. */
    List<String> offered(String rolloutId) throws Exception {
        List<String> devices = new ArrayList<>();
        for (LedgerEntry e : events(EventTypes.ROLLOUT_OFFERED)) {
            RolloutEvents.Offered o = (RolloutEvents.Offered) RolloutEvents.decode(e.event().type(), e.event().payload());
            if (o.rollout().equals(rolloutId)) {
                devices.add(o.device());
            }
        }
        return devices;
    }

    private List<LedgerEntry> events(String type) throws Exception {
        SqlLedger reader = nodes.get(0).ledger;
        List<LedgerEntry> found = new ArrayList<>();
        long size = reader.size();
        for (long i = 0; i < size; i += 1000) {
            for (LedgerEntry e : reader.read(i, 1000)) {
                if (e.event().type().equals(type)) {
                    found.add(e);
                }
            }
        }
        return found;
    }

    @Override
    public void close() throws SQLException {
        for (Node n : List.copyOf(nodes)) {
            n.stop();
        }
        try (Connection c = DriverManager.getConnection(url(), user(), password());
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
