package org.updraft.rollout.internal;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;
import org.updraft.api.update.UpdateAnswer;
import org.updraft.core.event.ReleaseEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.update.DeviceReport;
import org.updraft.core.update.DeviceReports;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.Configs;

/**
 * One platform node on real components: the local ledger in a directory, the trust store and release index
 * replayed from it, the rollout and update services under test; the registry is in memory and outlives a
 * {@link #restart()} as a database would.
 */
final class Platform implements AutoCloseable {

    static final String VENDOR = "acme";
    static final String CLASS = "thermo";

    final Path dir;
    final TestClock clock = new TestClock(Instant.parse("2026-03-01T12:00:00Z"));
    final MemoryRegistry registry;
    final SigningKey vendorKey;
    final Map<String, SigningKey> deviceKeys;
    final Map<String, Long> counters = new HashMap<>();
    final Map<String, Object> rolloutConfig = new HashMap<>();
    final Map<String, Object> updateConfig = new HashMap<>();

    FileLedger ledger;
    LedgerTrustStore trust;
    PlatformReleaseService releases;
    RolloutEngineComponent engine;
    PlatformRolloutService rollouts;
    PlatformUpdateService updates;

    Platform(Path dir) throws Exception {
        this(dir, new MemoryRegistry(), SigningKey.generate(KeyAlgorithm.ED25519), new HashMap<>(), true);
    }

    private Platform(Path dir, MemoryRegistry registry, SigningKey vendorKey, Map<String, SigningKey> deviceKeys,
            boolean fresh) throws Exception {
        this.dir = dir;
        this.registry = registry;
        this.vendorKey = vendorKey;
        this.deviceKeys = deviceKeys;
        updateConfig.put("statement.key.file", dir.resolve("statement-key.pem").toString());
        open();
        if (fresh) {
            trust.register(vendorKey.did(), VENDOR, Set.of());
        }
    }

    private void open() throws Exception {
        ledger = FileLedger.open(dir, dir.resolve("log-key.pem"), "test-log", false);
        trust = new LedgerTrustStore(ledger);
        releases = new PlatformReleaseService(ledger, trust);
        startServices();
    }

    /** New service instances over the same ledger (and registry): what a restart of the platform gives. */
    void restart() throws Exception {
        ledger.close();
        open();
    }

    /** The components as DS wires them: one engine under the rollout and update services. */
    void startServices() throws Exception {
        if (engine != null) {
            stopServices();
        }
        engine = new RolloutEngineComponent(Configs.of(RolloutEngineComponent.Config.class, rolloutConfig), ledger,
                registry, clock);
        updates = new PlatformUpdateService(Configs.of(PlatformUpdateService.Config.class, updateConfig), engine,
                releases, trust);
        rollouts = new PlatformRolloutService(engine, releases, trust);
    }

    private void stopServices() {
        updates.deactivate();
        engine.close();
    }

    /** Publishes a release signed by the vendor key, as core's release service records it. */
    Release publish(String deviceClass, String profile, long sequence, SigningKey signer) throws Exception {
        byte[] image = new byte[4096];
        new Random(sequence).nextBytes(image);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(image);
        Manifest m = new Manifest(VENDOR, deviceClass, profile, "2.0." + sequence, sequence, image.length, sha,
                Cid.v0(sha), null, clock.instant(), signer.did());
        byte[] signed = ManifestCodec.sign(m, signer);
        ledger.append(new LedgerEvent(EventTypes.RELEASE_PUBLISHED, clock.instant(), signer.did(),
                ReleaseEvents.published(ManifestCodec.parse(signed)), null));
        return releases.find(m.releaseId()).orElseThrow();
    }

    Release publish(long sequence) throws Exception {
        return publish(CLASS, null, sequence, vendorKey);
    }

    Device device(String id, String region, String profile) throws Exception {
        SigningKey key = deviceKeys.computeIfAbsent(id, k -> SigningKey.generate(KeyAlgorithm.ED25519));
        return new Device(id, key.did(), VENDOR, CLASS, profile, Set.of(), region, "1.0.0", 1, DeviceState.IDLE, null,
                clock.instant());
    }

    /** Registers {@code n} devices {@code prefix-00000…}, spread over the regions in turn. */
    List<String> fleet(String prefix, int n, String... regions) throws Exception {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            devices.add(device(String.format("%s-%05d", prefix, i), regions.length == 0 ? null : regions[i % regions.length],
                    null));
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

    /** Check, then report the given final state the way the device agent does (downloading … installed). */
    UpdateAnswer.Offer update(String deviceId, DeviceState end) throws Exception {
        UpdateAnswer answer = updates.check(deviceId, registry.find(deviceId).orElseThrow().installedSequence());
        if (!(answer instanceof UpdateAnswer.Offer offer)) {
            throw new AssertionError(deviceId + " was not offered an update: " + answer);
        }
        String rollout = offer.rolloutId();
        Release release = offer.release();
        long seq = end == DeviceState.INSTALLED ? release.sequence() : registry.find(deviceId).get().installedSequence();
        updates.report(report(deviceId, rollout, release.id(), DeviceState.DOWNLOADING, 1));
        updates.report(report(deviceId, rollout, release.id(), DeviceState.VERIFIED, 1));
        updates.report(report(deviceId, rollout, release.id(), end, seq));
        return offer;
    }

    /** Devices named in rollout.offered events on the ledger, for a rollout. */
    List<String> offeredOnLedger(String rolloutId) throws Exception {
        List<String> devices = new ArrayList<>();
        for (long i = 0; i < ledger.size(); i += 1000) {
            for (LedgerEntry e : ledger.read(i, 1000)) {
                if (e.event().type().equals(EventTypes.ROLLOUT_OFFERED)) {
                    RolloutEvents.Offered o = (RolloutEvents.Offered) RolloutEvents.decode(e.event().type(),
                            e.event().payload());
                    if (o.rollout().equals(rolloutId)) {
                        devices.add(o.device());
                    }
                }
            }
        }
        return devices;
    }

    long count(String type) throws Exception {
        long n = 0;
        for (long i = 0; i < ledger.size(); i += 1000) {
            for (LedgerEntry e : ledger.read(i, 1000)) {
                if (e.event().type().equals(type)) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        stopServices();
        ledger.close();
    }
}
