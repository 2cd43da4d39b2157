package org.updraft.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.updraft.api.delta.Delta;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.store.CidOptions;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.demo.internal.fleet.FleetConfig;
import org.updraft.demo.internal.fleet.FleetProvisioning;
import org.updraft.demo.internal.fleet.FleetSimulator;
import org.updraft.demo.internal.fleet.FleetSummary;
import org.updraft.device.SimulatedDevice;
import org.updraft.device.UpdateOutcome;
import org.updraft.platform.internal.PlatformReleaseDeltas;
import org.updraft.testing.Configs;
import org.updraft.testing.platform.TestPlatform;

/**
 * Row 11: a delta rollout over CoAP, in this process, on real components (the platform of {@link TestPlatform} with
 * the delta service as Declarative Services binds it to the CoAP transport; the fleet of {@link FleetSimulator},
 * the real device agents, as row 5). The fleet runs release 1.0.0, the base image, flashed at the factory and
 * registered as running it; 2.0.0 is published with a bsdiff delta from it, and one rollout of 2.0.0 reaches every
 * device. The figure is what the platform served per device (the transport's count of block bytes, patch blocks
 * included: {@link RolloutProgress#bytesServed}), against the same rollout without the delta, measured in the same
 * run on a platform of its own: the full image per device.
 *
 * <p>Both are shown as how many times smaller than the image they are, so the ratio is full-image bytes per
 * device ÷ delta bytes per device. Every device must have installed 2.0.0 (from the patch in the delta rollout)
 * and run an image hashing to the manifest's SHA-256; otherwise the row fails.
 *
 * <p>Pairs as rows 9 and 10: the shared fixture pair and a generated pair with 1% changed.
 */
final class DeltaRolloutRow {

    private static final String VENDOR = "acme";
    private static final String CLASS = "thermo-v2";

    private DeltaRolloutRow() {
    }

    static List<Row> run(Path work, Path repositoryRoot, boolean quick) throws Exception {
        Path dir = Files.createDirectories(work.resolve("delta-rollout"));
        int devices = quick ? 20 : 100;
        DeltaRow.Pair fixture = DeltaRow.fixture(repositoryRoot);
        DeltaRow.Pair generated = DeltaRow.generated(dir, quick ? 1 << 20 : 4 << 20);
        return List.of(row("11a", dir, fixture, devices), row("11b", dir, generated, devices));
    }

    private static Row row(String id, Path dir, DeltaRow.Pair pair, int devices) throws Exception {
        Served delta = rollOut(id, dir, pair, devices, true);
        Served full = rollOut(id, dir, pair, devices, false);
        double size = delta.imageSize;
        return new Row(id, "delta rollout over CoAP, bytes served per device, bsdiff, " + pair.name() + ", "
                + devices + " devices on the base", size / delta.perDevice(), "× smaller than the image",
                "the same rollout without the delta", size / full.perDevice(), "× smaller", 5.0,
                "≥ 5× (< 20% of the full image's bytes)", false,
                String.format(Locale.ROOT, "%,.0f bytes served per device against %,.0f (%.2f%% of the full "
                        + "rollout's); patch %,d bytes, %.2f%% of the %,d-byte image; %.1f s against %.1f s; every "
                        + "device rebuilt 2.0.0 from the patch and runs an image with its SHA-256", delta.perDevice(),
                        full.perDevice(), 100 * delta.perDevice() / full.perDevice(), delta.patchSize,
                        100.0 * delta.patchSize / size, delta.imageSize, delta.seconds, full.seconds));
    }

    /** What one rollout cost the platform. */
    private record Served(long bytes, int devices, long imageSize, long patchSize, double seconds) {
        double perDevice() {
            return bytes / (double) devices;
        }
    }

    /**
     * One rollout of the pair's new image to {@code devices} devices running its old one, on a platform of its own
     * (so that its count of bytes served is this rollout's alone), with or without a bsdiff delta from the base.
     */
    private static Served rollOut(String id, Path dir, DeltaRow.Pair pair, int devices, boolean withDelta)
            throws Exception {
        String what = "row " + id + (withDelta ? " (delta)" : " (full image)");
        SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
        FleetServer.FleetRegistry registry = new FleetServer.FleetRegistry();
        try (TestPlatform node = TestPlatform.builder(Files.createTempDirectory(dir, withDelta ? "delta" : "full"))
                .rollouts(registry).deviceApi(Map.of()).start()) {
            TrustedKey trusted = node.trust().register(manufacturer.did(), VENDOR, Set.of());
            Release base = publish(node, pair.from(), "1.0.0", 1, manufacturer);
            Release next = publish(node, pair.to(), "2.0.0", 2, manufacturer);
            long patchSize = 0;
            if (withDelta) {
                // the delta service as DS wires it: over the platform's ledger, releases, registry and serving store,
                // bound to the transport, which then serves its patch like an image
                PlatformReleaseDeltas deltas = new PlatformReleaseDeltas(node.ledger(), node.releases(), registry,
                        Configs.of(PlatformReleaseDeltas.Config.class, Map.of()), node.store());
                Delta delta = deltas.publish(base.id(), next.id(), "bsdiff");
                node.deviceApi().transport().bindDeltas(deltas);
                patchSize = delta.patchSize();
            }
            byte[] baseImage = Files.readAllBytes(pair.from());
            List<SimulatedDevice> fleet = FleetProvisioning.builder(VENDOR, CLASS, node.ledger().logKey(),
                    did -> did.equals(manufacturer.did()) ? Optional.of(trusted) : Optional.empty())
                    .idPrefix("dev-").installed("1.0.0", 1).factoryImage(i -> baseImage).generate(devices);
            registry.registerAll(FleetProvisioning.devices(fleet, Instant.now()));
            RolloutService rollouts = node.rollouts().rollouts();
            Rollout rollout = rollouts.create(new RolloutSpec(next.id(), DeviceFilter.ALL, List.of(new WaveSpec("all",
                    new WaveSelector.Percent(100), 100, 100, false, null, 0))), "bench");
            rollouts.start(rollout.id(), "bench");

            // endpoints sized so that none runs out of CoAP message ids on a large image (FleetConfig)
            FleetConfig config = FleetConfig.builder(node.deviceApi().address()).blockSize(1024)
                    .download(Math.max(next.size(), patchSize)).deadline(Duration.ofMinutes(5))
                    .progressInterval(Duration.ofSeconds(10)).build();
            FleetSummary summary;
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                summary = simulator.run();
            }
            System.err.println(what + ": " + summary);
            RolloutProgress progress = rollouts.progress(rollout.id());
            check(what, next, fleet, summary, progress, withDelta);
            if (withDelta && progress.bytesServed() < devices * patchSize) {
                throw new IllegalStateException(what + ": served " + progress.bytesServed() + " bytes, less than the "
                        + patchSize + "-byte patch for each of " + devices + " devices");
            }
            return new Served(progress.bytesServed(), devices, next.size(), patchSize,
                    summary.elapsed().toMillis() / 1000.0);
        }
    }

    /**
     * Every device installed the release (from the patch when there is one) and runs exactly its signed image,
     * hashed from the device's flash; and the platform recorded every install.
     */
    private static void check(String what, Release release, List<SimulatedDevice> fleet, FleetSummary summary,
            RolloutProgress progress, boolean withDelta) throws Exception {
        int installed = progress.waves().get(0).installed();
        if (summary.updated() != fleet.size() || summary.outcomes().size() != fleet.size()
                || installed != fleet.size()) {
            throw new IllegalStateException(what + ": " + summary.updated() + " of " + fleet.size() + " devices "
                    + "updated, the platform recorded " + installed + " installed: " + summary);
        }
        for (UpdateOutcome o : summary.outcomes()) {
            UpdateOutcome.Source expected = withDelta ? UpdateOutcome.Source.DELTA : UpdateOutcome.Source.IMAGE;
            if (o.state() != DeviceState.INSTALLED || o.source() != expected) {
                throw new IllegalStateException(what + ": device " + o.deviceId() + " ended " + o.state() + " from "
                        + o.source() + " (expected installed from " + expected + "): " + o);
            }
        }
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (SimulatedDevice device : fleet) {
            if (!MessageDigest.isEqual(sha256.digest(device.flash().running().bytes()), release.sha256())) {
                throw new IllegalStateException(what + ": device " + device.id() + " runs an image whose SHA-256 is "
                        + "not the manifest's (" + release.id() + ")");
            }
        }
    }

    /** Signs and publishes an image as {@code updraft sign} and {@code release-publish} do. */
    private static Release publish(TestPlatform node, Path image, String version, long sequence,
            SigningKey manufacturer) throws Exception {
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest(VENDOR, CLASS, null, version, sequence, measured.size(), measured.sha256(),
                measured.cid(CidOptions.DEFAULT), null, Instant.now(), manufacturer.did());
        return node.releases().publish(ManifestCodec.sign(manifest, manufacturer), image, null, null);
    }
}
