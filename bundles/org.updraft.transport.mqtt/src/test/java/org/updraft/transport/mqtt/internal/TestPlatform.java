package org.updraft.transport.mqtt.internal;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
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
 * One platform node on real components, as Declarative Services wires them: the local ledger, the trust store
 * and release service on it, the JDBC registry on H2, one rollout engine under the rollout and update services,
 * and the local firmware store. Releases are published as the release service records them: the image in the
 * store, a manifest signed by a trusted vendor key, its release.published event on the ledger.
 */
final class TestPlatform implements AutoCloseable {

    static final String VENDOR = "acme";
    static final String CLASS = "thermo";

    final SigningKey vendorKey = SigningKey.generate(KeyAlgorithm.ED25519);
    final Map<String, SigningKey> deviceKeys = new HashMap<>();
    final Map<String, Long> counters = new HashMap<>();
    final FileLedger ledger;
    final LedgerTrustStore trust;
    final PlatformReleaseService releases;
    final JdbcDeviceRegistry registry;
    final RolloutEngineComponent engine;
    final PlatformUpdateService updates;
    final PlatformRolloutService rollouts;
    final LocalFirmwareStore store;

    TestPlatform(Path dir) throws Exception {
        ledger = FileLedger.open(dir.resolve("ledger"), dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        trust.register(vendorKey.did(), VENDOR, Set.of());
        releases = new PlatformReleaseService(ledger, trust);
        registry = new JdbcDeviceRegistry(Configs.of(JdbcRegistryConfig.class,
                Map.of("url", "jdbc:h2:file:" + dir.resolve("devices"))), new OsgiDataSourceFactory(new Driver()));
        engine = new RolloutEngineComponent(Configs.defaults(RolloutEngineComponent.Config.class), ledger, registry);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class,
                Map.of("statement.key.file", dir.resolve("statement-key.pem").toString())), engine, releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
        store = new LocalFirmwareStore(Configs.of(LocalStoreConfig.class,
                Map.of("directory", dir.resolve("store").toString(), "fsync", false)));
    }

    /** Stores the image and publishes it as release {@code acme/thermo/sequence}. */
    Release publish(byte[] image, long sequence) throws Exception {
        Cid cid = store.put(new ByteArrayInputStream(image)).cid();
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        Instant now = Instant.now();
        Manifest m = new Manifest(VENDOR, CLASS, null, "2.0." + sequence, sequence, image.length, sha, cid, null, now,
                vendorKey.did());
        byte[] signed = ManifestCodec.sign(m, vendorKey);
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, now, vendorKey.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return releases.find(m.releaseId()).orElseThrow();
    }

    /** Registers a device of the vendor's class running sequence 1, with a key of its own. */
    void register(String deviceId) throws Exception {
        SigningKey key = deviceKeys.computeIfAbsent(deviceId, k -> SigningKey.generate(KeyAlgorithm.ED25519));
        registry.register(new Device(deviceId, key.did(), VENDOR, CLASS, null, Set.of(), null, "1.0.0", 1,
                DeviceState.IDLE, null, Instant.now()));
    }

    /** Creates and starts a one-wave rollout of the release to every device of its class. */
    Rollout rollout(Release release) throws Exception {
        Rollout created = rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL, List.of(
                new WaveSpec("all", new WaveSelector.Percent(100), 100, 100, false, null, 0))), "test");
        return rollouts.start(created.id(), "test");
    }

    /** A report signed by the key of {@code signer} about {@code signer}, with its next counter. */
    byte[] report(String signer, String rolloutId, String releaseId, DeviceState state) {
        long counter = counters.merge(signer, 1L, Long::sum);
        return DeviceReports.sign(new DeviceReport(signer, rolloutId, releaseId, state, null, "1.0.0", 1,
                Instant.now(), counter), deviceKeys.get(signer));
    }

    @Override
    public void close() throws Exception {
        // the components' deactivation methods are SCR's to call, so package-private: called as SCR calls them
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
