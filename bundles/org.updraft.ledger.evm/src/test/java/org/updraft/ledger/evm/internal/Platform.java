package org.updraft.ledger.evm.internal;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.core.identity.SigningKey;
import org.updraft.platform.internal.PlatformReleaseService;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.storage.local.internal.LocalFirmwareStore;

/**
 * The platform as Karaf wires it, built by hand: the real local log, the EVM ledger over it, the EVM trust store,
 * the real release service and local firmware store.
 */
final class Platform implements AutoCloseable {

    final Path directory;
    final FileLedger local;
    final EvmLedger evm;
    final EvmTrustStore trust;
    final ReleaseService releases;
    private final LocalFirmwareStore store;

    private Platform(Path directory, FileLedger local, EvmLedger evm, EvmTrustStore trust, ReleaseService releases,
            LocalFirmwareStore store) {
        this.directory = directory;
        this.local = local;
        this.evm = evm;
        this.trust = trust;
        this.releases = releases;
        this.store = store;
    }

    static EvmSettings settings(URI rpc, Path directory, String contract, int batchSize, Duration interval)
            throws Exception {
        Path key = directory.resolve("account.key");
        if (!Files.exists(key)) {
            Files.writeString(key, Ganache.PLATFORM_KEY + "\n");
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        return new EvmSettings(rpc, Ganache.CHAIN_ID, key, contract, List.of(Ganache.GOVERNOR), 1, BigInteger.ZERO,
                3_000_000, batchSize, interval, Duration.ofMillis(200), Duration.ofSeconds(30),
                directory.resolve("evm-state"), Duration.ofSeconds(30));
    }

    static Platform open(Path directory, EvmSettings settings) throws Exception {
        FileLedger local = FileLedger.open(directory.resolve("ledger"), directory.resolve("log-key.pem"), "test-log",
                false);
        EvmLedger evm = new EvmLedger(settings, local);
        EvmTrustStore trust = new EvmTrustStore(settings, evm, evm);
        PlatformReleaseService releases = new PlatformReleaseService(evm, trust);
        Constructor<LocalFirmwareStore> c = LocalFirmwareStore.class.getDeclaredConstructor(Path.class, boolean.class);
        c.setAccessible(true);
        LocalFirmwareStore store = c.newInstance(directory.resolve("store"), false);
        Field field = PlatformReleaseService.class.getDeclaredField("store");
        field.setAccessible(true);
        field.set(releases, (FirmwareStore) store);
        return new Platform(directory, local, evm, trust, releases, store);
    }

    /** Signs a release of {@code acme/thermo} with {@code key} and writes manifest and image. */
    Path[] sign(SigningKey key, long sequence) throws Exception {
        Path image = directory.resolve("image-" + sequence + ".bin");
        byte[] bytes = new byte[3000 + (int) sequence];
        new java.util.Random(sequence).nextBytes(bytes);
        Files.write(image, bytes);
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest m = new Manifest("acme", "thermo", "cortex-m4", "1." + sequence + ".0", sequence, measured.size(),
                measured.sha256(), measured.cid(CidOptions.DEFAULT), null, Instant.parse("2026-01-01T00:00:00Z"),
                key.did());
        Path manifest = directory.resolve("manifest-" + sequence + ".cose");
        Files.write(manifest, ManifestCodec.sign(m, key));
        return new Path[] { manifest, image };
    }

    Release publish(SigningKey key, long sequence) throws Exception {
        Path[] files = sign(key, sequence);
        return releases.publish(Files.readAllBytes(files[0]), files[1], null, null);
    }

    AppendReceipt appendNoise(int n) throws Exception {
        AppendReceipt last = null;
        for (int i = 0; i < n; i++) {
            last = evm.append(new LedgerEvent("device.reported", Instant.now(), "did:key:test", new byte[] { (byte) i },
                    null));
        }
        return last;
    }

    @Override
    public void close() {
        evm.deactivate();
        store.close();
        local.close();
    }
}
