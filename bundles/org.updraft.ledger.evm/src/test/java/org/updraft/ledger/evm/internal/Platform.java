package org.updraft.ledger.evm.internal;

import java.math.BigInteger;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.AppendReceipt;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.PreviousRelease;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.profile.ReleaseFacts;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.store.CidOptions;
import org.updraft.core.identity.SigningKey;
import org.updraft.api.trust.TrustStore;
import org.updraft.platform.internal.LedgerTrustStore;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.ledger.local.internal.FileLedger;
import org.updraft.testing.platform.RolloutServices;
import org.updraft.testing.platform.TestPlatform;

/**
 * The platform as Karaf wires it, on test-platform's node: the real local log, the EVM ledger over it, the EVM trust
 * store (or the ledger's), the real release service and local firmware store.
 */
final class Platform implements AutoCloseable {

    final Path directory;
    final FileLedger local;
    final EvmLedger evm;
    final TrustStore trust;
    final ReleaseService releases;
    private final TestPlatform node;

    private Platform(TestPlatform node) {
        this.node = node;
        this.directory = node.directory();
        this.local = node.log();
        this.evm = (EvmLedger) node.ledger();
        this.trust = node.trust();
        this.releases = node.releases();
    }

    static EvmSettings settings(URI rpc, Path directory, String contract, int batchSize, Duration interval)
            throws Exception {
        writeKey(directory.resolve("account.key"));
        return settings(rpc, Ganache.CHAIN_ID, directory, contract, batchSize, interval);
    }

    /** Settings with the given {@code chain.id} (0: the node's) and the key file {@code account.key}, as it is. */
    static EvmSettings settings(URI rpc, long chainId, Path directory, String contract, int batchSize,
            Duration interval) {
        return new EvmSettings(rpc, chainId, directory.resolve("account.key"), contract, List.of(Ganache.GOVERNOR), 1,
                BigInteger.ZERO, 3_000_000, batchSize, interval, Duration.ofMillis(200), Duration.ofSeconds(30),
                directory.resolve("evm-state"), Duration.ofSeconds(30));
    }

    /** The platform account's key (ganache's account 0), readable by its owner only. */
    static void writeKey(Path key) throws Exception {
        if (!Files.exists(key)) {
            Files.writeString(key, Ganache.PLATFORM_KEY + "\n");
            Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }

    /** The platform with {@code ledger = evm, trust = evm}. */
    static Platform open(Path directory, EvmSettings settings) throws Exception {
        return open(directory, settings, false);
    }

    /**
     * The platform with {@code ledger = evm} and trust {@code evm}, or {@code ledger} when {@code ledgerTrust}: trust
     * replayed from the local log, which publishes while the chain is down.
     */
    static Platform open(Path directory, EvmSettings settings, boolean ledgerTrust) throws Exception {
        return new Platform(TestPlatform.builder(directory)
                .ledger(local -> new EvmLedger(settings, local), EvmLedger::deactivate)
                // the releases name profile cortex-m4: publishing asks a profile of that id, which takes any image here
                .profile(new AnyImage("cortex-m4"))
                .trust(ledger -> ledgerTrust ? new LedgerTrustStore(ledger)
                        : new EvmTrustStore(settings, ledger, (EvmLedger) ledger))
                .start());
    }

    /** The rollout engine with the rollout and update services over this platform, started now; the caller closes them. */
    RolloutServices rollouts(DeviceRegistry registry) {
        return node.startRollouts(registry);
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
    public void close() throws Exception {
        node.close();
    }

    /** A device profile that boots anything: these tests are about the ledger, not about images. */
    private record AnyImage(String id) implements DeviceProfile {
        @Override
        public void check(ReleaseFacts release, SeekableByteChannel image,
                PreviousRelease previous) {
        }

        @Override
        public Optional<ProfileLimits> limits(String deviceClass) {
            return Optional.empty();
        }
    }
}
