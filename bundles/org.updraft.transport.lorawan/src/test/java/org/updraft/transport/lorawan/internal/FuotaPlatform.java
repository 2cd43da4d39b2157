package org.updraft.transport.lorawan.internal;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.h2.Driver;
import org.h2.util.OsgiDataSourceFactory;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.registry.jdbc.internal.JdbcDeviceRegistry;
import org.updraft.registry.jdbc.internal.JdbcRegistryConfig;
import org.updraft.rollout.internal.PlatformRolloutService;
import org.updraft.rollout.internal.PlatformUpdateService;
import org.updraft.rollout.internal.RolloutEngineComponent;
import org.updraft.storage.local.internal.LocalFirmwareStore;
import org.updraft.storage.local.internal.LocalStoreConfig;
import org.updraft.testing.Configs;

/**
 * One platform node on real components, as Declarative Services wires them for the LoRaWAN transport: the local
 * ledger, trust store and release service on it, the JDBC registry on H2, the rollout engine under the rollout and
 * update services, the local firmware store. Releases are published as the release service records them.
 */
final class FuotaPlatform implements AutoCloseable {

    static final String VENDOR = "acme";
    static final String CLASS = "thermo";

    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final FileLedger ledger;
    final LedgerTrustStore trust;
    final PlatformReleaseService releases;
    final JdbcDeviceRegistry registry;
    final RolloutEngineComponent engine;
    final PlatformUpdateService updates;
    final PlatformRolloutService rollouts;
    final LocalFirmwareStore store;

    FuotaPlatform(Path dir) throws Exception {
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        trust.register(vendorKey.did(), VENDOR, Set.of());
        store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
        releases = new PlatformReleaseService(ledger, trust, store);
        registry = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class,
                Map.of("url", "jdbc:h2:file:" + dir.resolve("devices"))), new OsgiDataSourceFactory(new Driver()));
        engine = new RolloutEngineComponent(Configs.defaults(RolloutEngineComponent.Config.class), ledger, registry);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class,
                Map.of("statement.key.file", dir.resolve("statement-key.pem").toString())), engine, releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
    }

    /** Publishes {@code image} as release {@code vendor/thermo/sequence}, signed by {@code key}. */
    Release publish(byte[] image, long sequence, String vendor, SigningKey key) throws Exception {
        return publish(image, sequence, vendor, CLASS, key);
    }

    /** Publishes {@code image} as the vendor's release {@code vendor/deviceClass/sequence}. */
    Release publish(byte[] image, long sequence, String deviceClass) throws Exception {
        return publish(image, sequence, VENDOR, deviceClass, vendorKey);
    }

    private Release publish(byte[] image, long sequence, String vendor, String deviceClass, SigningKey key)
            throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        Instant now = Instant.now();
        Manifest m = new Manifest(vendor, deviceClass, null, "2.0." + sequence, sequence, image.length, sha, cid, null, now,
                key.did());
        byte[] signed = ManifestCodec.sign(m, key);
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, now, key.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return releases.find(m.releaseId()).orElseThrow();
    }

    Release publish(byte[] image, long sequence) throws Exception {
        return publish(image, sequence, VENDOR, vendorKey);
    }

    /** Registers a device of the vendor's class running 1.0.0 (sequence 1) with {@code key}. */
    void register(String deviceId, SigningKey key, Set<String> tags) throws Exception {
        register(deviceId, key, tags, "1.0.0", 1);
    }

    /** Registers a device of the vendor's class running {@code version} (sequence {@code sequence}). */
    void register(String deviceId, SigningKey key, Set<String> tags, String version, long sequence) throws Exception {
        register(deviceId, key, tags, CLASS, version, sequence);
    }

    /** Registers a device of the vendor's {@code deviceClass} running {@code version} ({@code sequence}). */
    void register(String deviceId, SigningKey key, Set<String> tags, String deviceClass, String version,
            long sequence) throws Exception {
        registry.register(new Device(deviceId, key.did(), VENDOR, deviceClass, null, tags, null, version, sequence,
                DeviceState.IDLE, null, Instant.now()));
    }

    /** Creates and starts a one-wave rollout of the release to every device of its class. */
    Rollout rollout(Release release) throws Exception {
        Rollout created = rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(
                new WaveSpec("all", new WaveSelector.Percent(100), 100, 100, false, null, 0))), "test");
        return rollouts.start(created.id(), "test");
    }

    /** What a device of this vendor is provisioned to trust: the vendor's key only. */
    TrustLookup deviceTrust() {
        return did -> did.equals(vendorKey.did())
                ? Optional.of(new TrustedKey(did, VENDOR, Set.of(), KeyStatus.ACTIVE, Instant.EPOCH, null, null, 0))
                : Optional.empty();
    }

    String logKey() {
        return ledger.logKey();
    }

    Device device(String id) throws Exception {
        return registry.find(id).orElseThrow();
    }

    /** The device.reported events of the ledger, as their payloads' text, for assertion messages. */
    long reportsOnLedger() throws Exception {
        long n = 0;
        for (long i = 0; i < ledger.size(); i++) {
            if (ledger.get(i).event().type().equals(EventTypes.DEVICE_REPORTED)) {
                n++;
            }
        }
        return n;
    }

    /** Waits until {@code done}, checking every 50 ms; fails the test after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Whether the transport knows {@code devices} deliveries and none is still sending or awaiting its report. */
    static boolean settled(LorawanTransport t, int devices) {
        Map<String, LorawanTransport.Delivery> d = t.deliveries();
        return d.size() == devices && d.values().stream().noneMatch(x -> x.stage() == LorawanTransport.Stage.SENDING
                || x.stage() == LorawanTransport.Stage.AWAITING_REPORT);
    }

    /** Whether a device.reported event on the ledger carries {@code text} (a device id, a reason). */
    boolean reportOnLedgerSays(String... text) throws Exception {
        for (long i = 0; i < ledger.size(); i++) {
            LedgerEvent e = ledger.get(i).event();
            String payload = new String(e.payload(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (e.type().equals(EventTypes.DEVICE_REPORTED)
                    && java.util.Arrays.stream(text).allMatch(payload::contains)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        deactivate(updates, "deactivate");
        engine.close();
        deactivate(registry, "deactivate");
        store.close();
        ledger.close();
    }

    private static void deactivate(Object component, String method) throws Exception {
        Method m = component.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        m.invoke(component);
    }
}
