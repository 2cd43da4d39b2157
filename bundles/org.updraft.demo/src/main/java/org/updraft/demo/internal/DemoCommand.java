package org.updraft.demo.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.ShellUtil;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutException;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.store.CidOptions;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;
import org.updraft.api.transport.DeviceEndpoint;
import org.updraft.api.transport.DeviceEndpoints;
import org.updraft.api.update.UpdateService;
import org.updraft.core.config.DataPaths;
import org.updraft.core.delta.DeltaCodecs;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.log.LedgerAudit;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.ManifestCodec;
import org.updraft.core.manifest.MeasuredImage;
import org.updraft.demo.internal.fleet.FleetConfig;
import org.updraft.demo.internal.fleet.FleetProgress;
import org.updraft.demo.internal.fleet.FleetProvisioning;
import org.updraft.demo.internal.fleet.FleetSimulator;
import org.updraft.demo.internal.fleet.FleetSummary;
import org.updraft.demo.internal.fleet.FleetTransport;
import org.updraft.demo.internal.profiles.DemoFamily;
import org.updraft.device.DeviceFlash;
import org.updraft.device.MqttLink;
import org.updraft.device.SimulatedDevice;
import org.updraft.device.UpdateOutcome;

/**
 * The main demo: the whole chain of trust on the embedded defaults, with a simulated fleet over real CoAP with DTLS
 * on loopback (each device its own key as its DTLS identity; unencrypted CoAP only where the transport serves no
 * DTLS), through an MQTT broker ({@code --transport mqtt}), or a mixed fleet on both ({@code --transport both}). Each
 * run makes its own device class ({@code demo-N}), so runs never collide with each other or with real releases.
 *
 * <p>With {@code --delta}, a delta rollout: the fleet runs a first release, whose image was flashed at the factory
 * and which the devices are registered as running (as a real fleet is registered when it leaves the factory); the
 * new release is published with a delta from it, and the devices download the patch instead of the image.
 */
@Command(scope = "updraft", name = "demo", description = "Signs and publishes a sample firmware, rolls it out in "
        + "waves (a canary, then region by region) to a simulated fleet over CoAP with DTLS, MQTT or both, shows live progress "
        + "per wave, "
        + "and ends with a summary and a ledger audit")
@Service
public class DemoCommand implements Action {

    static final String VENDOR = "updraft-demo";
    static final List<String> REGIONS = List.of("eu-west", "us-east", "ap-south");
    static final int CANARIES = 5;
    private static final String MQTT_PID = "org.updraft.transport.mqtt";
    private static final String LORAWAN = "lorawan";
    /** A LoRaWAN demo's default image: sessions carry kilobytes, not megabytes. */
    static final int LORAWAN_DEFAULT_KIB = 8;

    @Option(name = "--devices", description = "Simulated devices (default 1000)")
    int devices = 1000;

    @Option(name = "--image-size", description = "Firmware image size in KiB (default 64, or what a --profile "
            + "device holds when less: 31 for avr; not with --image)")
    Integer imageKib;

    @Option(name = "--block-size", description = "Block size the devices ask for, a power of two: 16 to 1024 "
            + "(default 1024), up to 65536 with --transport mqtt (the platform cuts a block to the device's maximum "
            + "packet size, 4096 bytes)")
    int blockSize = 1024;

    @Option(name = "--loss", description = "Share of CoAP datagrams lost each way, 0 to 0.5 "
            + "(default 0.01; MQTT runs over TCP)")
    double loss = 0.01;

    @Option(name = "--boot-failures", description = "Share of devices whose new image does not boot and that roll "
            + "back, 0 to 1 (default 0.005)")
    double bootFailures = 0.005;

    @Option(name = "--offline", description = "Share of devices that go offline for a while mid-download "
            + "(default 0.01)")
    double offline = 0.01;

    @Option(name = "--canary-error", description = "Error threshold of the canary wave in percent (default 20, one "
            + "canary in five); the canary wave passes once the other canaries installed")
    double canaryError = 20;

    @Option(name = "--success", description = "Success threshold of the region waves in percent (default 90): a "
            + "wave passes, and the last one completes the rollout, once this share of its devices installed; devices "
            + "that had not asked by then are not offered the release. 100 waits for every device")
    double success = 90;

    @Option(name = "--timeout", description = "Give up after this many seconds (default 600)")
    int timeoutSeconds = 600;

    @Option(name = "--quiet", description = "No live progress, only the summary")
    boolean quiet;

    @Option(name = "--transport", description = "How the devices reach the platform: coap (default), mqtt (each "
            + "device its own connection to the broker; needs feature updraft-transport-mqtt), both (a mixed fleet: "
            + "every second device over MQTT), or lorawan (LoRaWAN devices behind a simulated ChirpStack on the broker, "
            + "updated in a FUOTA session by feature updraft-transport-lorawan, in accelerated time; --loss is the "
            + "radio's frame loss each way, the image 8 KiB by default)")
    String transport = "coap";

    @Option(name = "--broker", description = "The MQTT broker for --transport mqtt, both or lorawan, "
            + "tcp://host:port; it must be the broker the platform's MQTT (or LoRaWAN) transport is configured with "
            + "(default: that one)")
    String broker;

    @Option(name = "--multicast", description = "With --transport lorawan: the LoRaWAN transport runs a multicast "
            + "session (its multicast.enabled set, api.uri on a free loopback port where the demo serves its simulated "
            + "ChirpStack's REST API, api.token.file, multicast.keys.file, which the demo fills with its devices' "
            + "random McRootKeys, multicast.address); the group is created, fed and deleted through that API")
    boolean multicast;

    @Option(name = "--delta", description = "A delta rollout with this codec (bsdiff): the fleet runs a first "
            + "release, flashed at the factory; the new release is published with a delta from it, and devices "
            + "download the patch instead of the image")
    String delta;

    @Option(name = "--base-image", description = "With --delta: the image of the release the fleet runs "
            + "(default: random bytes of --image-size KiB)")
    String baseImageFile;

    @Option(name = "--image", description = "With --delta and --base-image: the new release's image (default: the "
            + "base image with about 1% of it changed)")
    String imageFile;

    @Option(name = "--other-base", description = "With --delta: share of devices whose flash holds another build "
            + "of the base version, 0 to 1 (default 0); they do not use the patch and download the full image")
    double otherBase;

    @Option(name = "--profile", description = "Images of one device family, checked at publish by its device "
            + "profile, and simulated devices with that family's bootloader: mcuboot (signed MCUboot images; test "
            + "swap, confirm or revert, the bootloader checking the signature), esp-idf (ESP32 app images), avr "
            + "(Intel HEX for an ATmega328P), linux (a signed SWUpdate .swu onto A/B root file systems). Needs feature "
            + "updraft-profile-<id> (esp-idf: updraft-profile-esp-idf). Default: opaque images, no profile")
    String profile;

    @Reference
    BundleContext bundleContext;


    @Reference(optional = true)
    ReleaseService releases;

    @Reference(optional = true)
    RolloutService rollouts;

    @Reference(optional = true)
    ReleaseDeltas deltas;

    @Reference(optional = true)
    UpdateService updates;



    @Reference
    ConfigurationAdmin configurations;

    /** Rollout refusals that mean a backend is briefly away, not that the demo went wrong. */
    private static final Set<String> TRANSIENT = Set.of("ledger-failed", "registry-failed", "trust-unavailable");

    /** When the demo started waiting for an unavailable backend, or null. */
    private Instant waitingSince;

    /** The most bytes of simulated flash a delta demo's devices may hold: each has its own copy of the base. */
    static final long MAX_FLEET_FLASH = 1L << 30;

    /** The working memory the demo's devices give a delta codec: the device agent's default. */
    static final long DEVICE_DELTA_MEMORY = 4L * 1024 * 1024;

    /** The largest image file the demo reads, as --image-size allows. */
    static final long MAX_IMAGE_BYTES = 64L * 1024 * 1024;

    /** The two images of a delta rollout: the one the fleet runs and the new release's, and where they come from. */
    record DeltaImages(byte[] base, byte[] next, String origin) {
    }

    /** The device class's configuration of the demo's profile, deleted when the demo ends. */
    private Configuration classConfiguration;
    /** The services the demo looked up, released when it ends. */
    private final List<ServiceReference<?>> used = new ArrayList<>();

    @Override
    public Object execute() throws Exception {
        checkOptions();
        try {
            return demo();
        } finally {
            if (classConfiguration != null) {
                // the run's class is the demo's own: nothing else will publish for it
                classConfiguration.delete();
            }
            used.forEach(bundleContext::ungetService);
        }
    }

    private Object demo() throws Exception {
        if (LORAWAN.equalsIgnoreCase(transport.strip())) {
            return lorawanDemo();
        }
        if (multicast) {
            throw new IllegalArgumentException("--multicast is for --transport lorawan: a LoRaWAN multicast session");
        }
        FleetTransport fleetTransport = FleetTransport.of(transport);
        String brokerUri = fleetTransport == FleetTransport.COAP ? null : mqttBroker();
        int kib = imageKib != null ? imageKib : 64;
        // read and check the images before anything is recorded: a bad file leaves no trace on the ledger
        DeltaImages pair = delta == null || profile != null ? null : deltaImages(kib);
        TrustStore trustStore = require(selected(TrustStore.class, TrustStore.SELECTED), "trust store", "updraft");
        ReleaseService releaseService = require(releases, "release service", "updraft");
        ReleaseDeltas deltaService = delta == null ? null : require(deltas, "delta service", "updraft");
        RolloutService rolloutService = require(rollouts, "rollout service", "updraft-rollout");
        DeviceRegistry deviceRegistry = require(selected(DeviceRegistry.class, DeviceRegistry.SELECTED),
                "device registry", "updraft-registry-jdbc");
        Ledger log = require(selected(Ledger.class, Ledger.SELECTED), "ledger", "updraft-ledger-local");
        // where the CoAP devices go, refused before anything is recorded when the transport serves nothing
        DeviceEndpoint coapEndpoint = fleetTransport.usesCoap() ? coapEndpoint() : null;
        InetSocketAddress coap = coapEndpoint == null ? null : reachable(coapEndpoint.address());
        String actor = "operator:" + Optional.ofNullable(ShellUtil.getCurrentUserName()).orElse("console");
        Instant started = Instant.now();
        String run = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        String deviceClass = "demo-" + run;
        // a profile that is not running is refused before anything is written
        DeviceProfile deviceProfile = profile == null ? null : deviceProfile(profile.strip());
        Path dir = DataPaths.resolve("${karaf.data}/updraft/demo/" + run);
        Files.createDirectories(dir);
        DemoFamily family = deviceProfile == null ? null : DemoFamily.create(deviceProfile.id(), dir);
        if (family != null && imageKib == null) {
            // an AVR part has 31.5 KiB of application flash
            kib = Math.min(kib, family.maxPayload() / 1024);
        }
        if (family != null && kib * 1024L > family.maxPayload()) {
            throw new IllegalArgumentException("--image-size " + kib + " KiB is more than a " + family.profile()
                    + " device of the demo takes (" + family.maxPayload() / 1024 + " KiB)");
        }

        step("1", "A manufacturer key, generated here for the demo (a real manufacturer runs `updraft keygen` on its "
                + "own machine; the platform never holds the private key)");
        SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey trusted = trustStore.register(manufacturer.did(), VENDOR, Set.of(), actor);
        detail("trusted " + trusted.did() + " for vendor " + VENDOR + " (ledger #" + trusted.ledgerIndex() + ")");

        Path image = dir.resolve("firmware.bin");
        byte[] firmware;
        Path baseImage = null;
        byte[] factoryImage = null;
        if (family != null) {
            step("2", "A " + family.profile() + " device class, configured in its profile, and two " + family.profile()
                    + " firmwares with " + kib + " KiB of program each, signed as `updraft sign --profile "
                    + family.profile() + "` does: 1.0.0, flashed at the factory, and 2.0.0");
            configure(family, deviceProfile, deviceClass);
            Random random = new Random(started.toEpochMilli());
            byte[] program = new byte[kib * 1024];
            random.nextBytes(program);
            factoryImage = family.image("1.0.0", 1, program);
            if (delta == null) {
                firmware = family.image("2.0.0", 2, kib * 1024, random);
            } else {
                // a small fix: the program of 1.0.0 with about 1% changed, built and signed again as the family's
                firmware = family.image("2.0.0", 2, changed(program, random));
                pair = new DeltaImages(factoryImage, firmware, "generated");
                checkFleetFlash(factoryImage.length);
                baseImage = dir.resolve("base" + family.fileSuffix());
                Files.write(baseImage, factoryImage);
                detail("2.0.0's program is 1.0.0's with about 1% changed, for a " + delta.strip() + " delta");
            }
            image = dir.resolve("firmware" + family.fileSuffix());
        } else if (pair == null) {
            step("2", "A sample firmware of " + kib + " KiB, signed as `updraft sign` does");
            firmware = new byte[kib * 1024];
            new Random(started.toEpochMilli()).nextBytes(firmware);
        } else {
            step("2", "Two firmwares, " + pair.origin() + ", each signed as `updraft sign` does: 1.0.0, which the "
                    + "fleet runs, and 2.0.0");
            firmware = pair.next();
            baseImage = dir.resolve("base.bin");
            Files.write(baseImage, pair.base());
        }
        Files.write(image, firmware);
        String manifestProfile = family == null ? null : family.profile();
        Manifest manifest = sign(image, deviceClass, manifestProfile, "2.0.0", 2, started, manufacturer);
        byte[] signed = ManifestCodec.sign(manifest, manufacturer);
        Files.write(dir.resolve("firmware.manifest"), signed);
        byte[] baseSigned = null;
        if (baseImage != null) {
            Manifest baseManifest = sign(baseImage, deviceClass, manifestProfile, "1.0.0", 1, started, manufacturer);
            baseSigned = ManifestCodec.sign(baseManifest, manufacturer);
            Files.write(dir.resolve("base.manifest"), baseSigned);
            detail(baseManifest.releaseId() + ", version 1.0.0, " + baseManifest.size() + " bytes, CID "
                    + baseManifest.cid());
        }
        detail(manifest.releaseId() + ", version 2.0.0, " + manifest.size() + " bytes, CID " + manifest.cid());

        Release release;
        Delta madeDelta = null;
        if (baseImage == null) {
            step("3", "Publish: verified again by the platform" + (family == null ? "" : ", checked by the "
                    + family.profile() + " profile") + ", stored by CID, recorded on the ledger");
            release = releaseService.publish(signed, image, deviceClass, null, actor);
            detail("published " + release.id() + " at ledger #" + release.ledgerIndex());
        } else {
            step("3", "Publish both, verified again by the platform, stored by CID, recorded on the ledger; then the "
                    + "delta from 1.0.0 to 2.0.0: made, checked by applying it, stored, recorded");
            Release base = releaseService.publish(baseSigned, baseImage, deviceClass, null, actor);
            detail("published " + base.id() + " at ledger #" + base.ledgerIndex());
            release = releaseService.publish(signed, image, deviceClass, null, actor);
            detail("published " + release.id() + " at ledger #" + release.ledgerIndex());
            try {
                madeDelta = deltaService.publish(base.id(), release.id(), delta.strip());
            } catch (ReleaseException e) {
                throw new IllegalStateException("the delta from " + base.id() + " to " + release.id() + " was "
                        + "refused (" + e.reason() + "): " + e.getMessage() + "; both releases are published, no "
                        + "rollout was started", e);
            }
            detail(String.format(Locale.ROOT, "delta %s: %d bytes (%.1f%% of the image), patch %s, ledger #%d",
                    madeDelta.label(), madeDelta.patchSize(), 100.0 * madeDelta.patchSize() / release.size(),
                    madeDelta.patch(), madeDelta.ledgerIndex()));
        }

        FleetProvisioning.Builder provisioning = FleetProvisioning
                .builder(VENDOR, deviceClass, log.logKey(), did -> did.equals(manufacturer.did())
                        ? Optional.of(trusted) : Optional.empty())
                .regions(REGIONS).idPrefix(deviceClass + "-").installed("1.0.0", 1).seed(started.toEpochMilli())
                // the devices act only on answers the platform signed for them
                .statementKey(updates == null ? null : updates.statementKey());
        if (family != null) {
            provisioning.profile(family.profile())
                    .flash((i, version, sequence, bytes) -> family.factoryFlash(version, sequence, bytes));
        }
        if (pair == null) {
            if (family != null) {
                step("4", devices + " simulated " + family.profile() + " devices (" + family.deviceDescription()
                        + "), each with its own key and 1.0.0 flashed at the factory, registered in " + REGIONS.size()
                        + " regions");
                byte[] factory = factoryImage;
                provisioning.factoryImage(i -> factory);
            } else {
                step("4", devices + " simulated devices, each with its own key, registered in " + REGIONS.size()
                        + " regions");
            }
        } else {
            step("4", devices + " simulated " + (family == null ? "" : family.profile() + " ") + "devices, each with "
                    + "its own key and 1.0.0 flashed at the factory, registered in " + REGIONS.size()
                    + " regions as running it");
            DeltaImages images = pair;
            byte[] other = images.base().clone();
            // another build of 1.0.0, as a device patched in the field has: one byte differs
            other[other.length / 2] ^= (byte) 0xff;
            Random pick = new Random(started.toEpochMilli() ^ 0x5DEECE66DL);
            boolean[] otherBuild = new boolean[devices];
            for (int i = 0; i < devices; i++) {
                otherBuild[i] = pick.nextDouble() < otherBase;
            }
            provisioning.factoryImage(i -> otherBuild[i] ? other : images.base());
        }
        List<SimulatedDevice> fleet = provisioning.generate(devices);
        deviceRegistry.registerAll(FleetProvisioning.devices(fleet, started));
        detail(deviceRegistry.status());

        step("5", "A rollout: " + CANARIES + " canaries, then one wave per region");
        List<WaveSpec> waves = new ArrayList<>();
        List<String> canaries = fleet.stream().limit(Math.min(CANARIES, devices)).map(SimulatedDevice::id).toList();
        // the failures the canary wave tolerates leave it able to pass: with success 100% a single rolled-back
        // canary would stop the rollout (it pauses, as a wave that can no longer pass does)
        double canarySuccess = 100 - canaryError;
        waves.add(new WaveSpec("canary", new WaveSelector.Devices(canaries), canarySuccess, canaryError, true, null,
                0));
        for (String region : REGIONS) {
            waves.add(new WaveSpec(region, new WaveSelector.Region(region), success, 10, true, null, 0));
        }
        Rollout rollout = rolloutService.create(new RolloutSpec(release.id(), null, waves), actor);
        rollout = rolloutService.start(rollout.id(), actor);
        detail("rollout " + rollout.id() + " started: canary (success " + trim(canarySuccess) + "%, error "
                + trim(canaryError)
                + "%), then " + String.join(", ", REGIONS) + " (success " + trim(success) + "%, error 10%), each "
                + "advancing by itself");

        step("6", "The fleet, " + switch (fleetTransport) {
            case COAP -> "over " + coapName(coapEndpoint, coap);
            case MQTT -> "over MQTT through " + brokerUri;
            case BOTH -> "half over " + coapName(coapEndpoint, coap) + ", half over MQTT "
                    + "through " + brokerUri;
        } + " (loss " + percent(loss) + ", boot failures " + percent(bootFailures) + ", offline " + percent(offline)
                + ")");
        FleetConfig.Builder fleetBuilder = coap == null ? FleetConfig.mqttOnly(brokerUri) : FleetConfig.builder(coap);
        if (fleetTransport == FleetTransport.BOTH) {
            fleetBuilder.mqtt(fleetTransport, brokerUri);
        }
        if (coapEndpoint != null && coapEndpoint.secure()) {
            fleetBuilder.dtls(coapEndpoint.serverKey());
        }
        FleetConfig config = fleetBuilder.blockSize(blockSize).download(firmware.length).lossShare(loss)
                .bootFailureShare(bootFailures).offline(offline, Duration.ofSeconds(5))
                .deadline(Duration.ofSeconds(timeoutSeconds)).seed(started.toEpochMilli()).build();
        FleetSummary summary;
        RolloutProgress last;
        boolean finished = false;
        try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
            CompletableFuture<FleetSummary> done = simulator.start();
            last = watch(rolloutService, rollout.id(), simulator, done);
            simulator.stop();
            summary = done.get(30, TimeUnit.SECONDS);
            last = progressOrLast(rolloutService, rollout.id(), last);
            finished = true;
        } finally {
            if (!finished) {
                // stopped by an error or Ctrl-C: leave no rollout running half-way
                cancel(rolloutService, rollout.id(), actor);
            }
        }

        step("7", "Summary");
        Rollout end = last.rollout();
        System.out.println("  rollout    " + end.id() + " " + end.state().name().toLowerCase(Locale.ROOT)
                + (end.reason() == null ? "" : " (" + end.reason() + ")"));
        if (end.state() == RolloutState.PAUSED) {
            // a real rollout stops the same way: say what the operator can do next
            System.out.println("             it stopped itself and waits for an operator: updraft:rollout-show "
                    + end.id() + ", then updraft:rollout-advance, updraft:rollout-resume or updraft:rollout-cancel");
        }
        System.out.println(String.format(Locale.ROOT, "  devices    %d: %d updated, %d failed, %d rolled back, "
                + "%d not updated", summary.devices(), summary.updated(), summary.failed(), summary.rolledBack(),
                summary.devices() - summary.updated() - summary.failed() - summary.rolledBack()));
        if (!summary.reasons().isEmpty()) {
            System.out.println("  reasons    " + summary.reasons());
        }
        System.out.println(String.format(Locale.ROOT, "  time       %.1f s (%.1f devices/s)",
                Duration.between(started, Instant.now()).toMillis() / 1000.0, summary.finishedPerSecond()));
        System.out.println(String.format(Locale.ROOT, "  served     %.2f MiB of firmware; devices "
                + "received %.2f MiB in %d block requests, %d retransmissions, %d datagrams dropped on purpose",
                last.bytesServed() / 1048576.0, summary.bytesDownloaded() / 1048576.0, summary.blockRequests(),
                summary.retransmissions(), summary.datagramsDropped()));
        printWaves(last);
        if (madeDelta != null) {
            printDelta(madeDelta, release, summary, fleet);
        }
        if (family != null) {
            printInstalled(family, release, summary, fleet, madeDelta == null);
        }

        step("8", "Ledger audit: every event, every signed checkpoint, consistency between them");
        LedgerAudit.Result audit = audit(log);
        if (!audit.consistent()) {
            throw new IllegalStateException("the ledger audit failed: " + audit.firstInconsistency());
        }
        System.out.println("  consistent: " + audit.events() + " events, " + audit.checkpoints()
                + " signed checkpoints, root " + java.util.HexFormat.of().formatHex(audit.rootHash()));
        return null;
    }

    /**
     * Audits the ledger, again from the start while its backend is briefly away (restarted or reconfigured by an
     * operator: a read in flight then finds it closed), for up to 30 s; an audit that finds an inconsistency is not
     * repeated.
     */
    private static LedgerAudit.Result audit(Ledger log) throws LedgerException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean told = false;
        while (true) {
            try {
                return LedgerAudit.audit(log, null);
            } catch (LedgerException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                if (!told) {
                    System.out.println("  (the ledger is briefly unavailable: " + e.getMessage() + "; the audit "
                            + "starts again when it is back)");
                    told = true;
                }
                Thread.sleep(1000);
            }
        }
    }

    private static Manifest sign(Path image, String deviceClass, String profile, String version, long sequence,
            Instant created, SigningKey manufacturer) throws IOException {
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        return new Manifest(VENDOR, deviceClass, profile, version, sequence, measured.size(), measured.sha256(),
                measured.cid(CidOptions.DEFAULT), null, created, manufacturer.did());
    }

    /**
     * What the delta rollout moved: how many devices rebuilt the image from the patch, fell back to the full image
     * after the patch failed (delta-mismatch), or did not use it; bytes each downloaded against the full image; and
     * whether every device that installed runs exactly the signed image, hashed from its flash.
     */
    private static void printDelta(Delta d, Release release, FleetSummary summary, List<SimulatedDevice> fleet)
            throws NoSuchAlgorithmException {
        long size = release.size();
        System.out.println(String.format(Locale.ROOT, "  delta      %s patch of %d bytes for the %d-byte image "
                + "(%.1f%%)", d.codec(), d.patchSize(), size, 100.0 * d.patchSize() / size));
        int fromDelta = 0;
        int fellBack = 0;
        int fullImage = 0;
        long deltaBytes = 0;
        long deltaMax = 0;
        long allBytes = 0;
        for (UpdateOutcome o : summary.outcomes()) {
            allBytes += o.bytesDownloaded();
            switch (o.source()) {
            case DELTA -> {
                fromDelta++;
                deltaBytes += o.bytesDownloaded();
                deltaMax = Math.max(deltaMax, o.bytesDownloaded());
            }
            case IMAGE_AFTER_DELTA -> fellBack++;
            case IMAGE -> fullImage++;
            }
        }
        System.out.println("  sources    " + fromDelta + " devices used the patch, " + fellBack + " fell back to the "
                + "full image after it failed (delta-mismatch), " + fullImage + " downloaded the full image (no "
                + "usable patch: another base)");
        if (fromDelta > 0) {
            double mean = (double) deltaBytes / fromDelta;
            System.out.println(String.format(Locale.ROOT, "  per device %.0f bytes downloaded on average by the "
                    + "devices that used the patch, %.1f%% of the full image (at most %d bytes, %.1f%%)", mean,
                    100.0 * mean / size, deltaMax, 100.0 * deltaMax / size));
        }
        if (!summary.outcomes().isEmpty()) {
            double mean = (double) allBytes / summary.outcomes().size();
            System.out.println(String.format(Locale.ROOT, "             %.0f bytes on average over the %d devices "
                    + "that ended their update, %.1f%% of the full image", mean, summary.outcomes().size(),
                    100.0 * mean / size));
        }
        printImages(release, summary, fleet);
    }

    /**
     * Whether every device that installed runs exactly the signed image, hashed from its flash (one hash per distinct
     * image: the simulator shares image bytes between devices), and confirmed it.
     */
    private static void printImages(Release release, FleetSummary summary, List<SimulatedDevice> fleet)
            throws NoSuchAlgorithmException {
        // hashed from the devices' flash: every installed image must be the signed one, whichever way it came
        Map<String, SimulatedDevice> byId = new java.util.HashMap<>();
        fleet.forEach(device -> byId.put(device.id(), device));
        Map<byte[], Boolean> checked = new IdentityHashMap<>();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        int installed = 0;
        int matching = 0;
        int onTrial = 0;
        for (UpdateOutcome o : summary.outcomes()) {
            if (o.state() != org.updraft.api.device.DeviceState.INSTALLED) {
                continue;
            }
            installed++;
            DeviceFlash flash = byId.get(o.deviceId()).flash();
            if (flash.isOnTrial()) {
                onTrial++;
            }
            byte[] running = flash.running().bytes();
            if (checked.computeIfAbsent(running, b -> Arrays.equals(sha256.digest(b), release.sha256()))) {
                matching++;
            }
        }
        System.out.println("  images     " + matching + " of " + installed + " devices that installed run an image "
                + "with the release's SHA-256 " + HexFormat.of().formatHex(release.sha256())
                + (onTrial == 0 ? ", each confirmed" : "; " + onTrial + " still on trial, not confirmed"));
    }

    /** What the devices of a profile did, from their flash: the new image, and how their bootloader holds it. */
    private static void printInstalled(DemoFamily family, Release release, FleetSummary summary,
            List<SimulatedDevice> fleet, boolean withImages) throws NoSuchAlgorithmException {
        if (withImages) {
            printImages(release, summary, fleet);
        }
        Map<String, SimulatedDevice> byId = new java.util.HashMap<>();
        fleet.forEach(device -> byId.put(device.id(), device));
        for (org.updraft.api.device.DeviceState state : List.of(org.updraft.api.device.DeviceState.INSTALLED,
                org.updraft.api.device.DeviceState.ROLLED_BACK, org.updraft.api.device.DeviceState.FAILED)) {
            summary.outcomes().stream().filter(o -> o.state() == state).findFirst().ifPresent(o -> System.out.println(
                    "  " + String.format("%-10s ", state.wireName()) + o.deviceId() + ": "
                            + family.deviceState(byId.get(o.deviceId()).flash())));
        }
    }

    /** Prints progress until the rollout can go no further or the fleet is done; returns the last progress. */
    private RolloutProgress watch(RolloutService service, String id, FleetSimulator simulator,
            CompletableFuture<FleetSummary> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        RolloutProgress progress = service.progress(id);
        while (true) {
            try {
                done.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // still running
            } catch (ExecutionException e) {
                throw new IllegalStateException("the fleet simulator stopped: " + e.getCause().getMessage(), e);
            }
            progress = progressOrLast(service, id, progress);
            FleetProgress fleet = simulator.progress();
            if (!quiet) {
                System.out.println(line(progress, fleet));
            }
            RolloutState state = progress.rollout().state();
            boolean settled = fleet.count(org.updraft.api.device.DeviceState.DOWNLOADING)
                    + fleet.count(org.updraft.api.device.DeviceState.DOWNLOADED)
                    + fleet.count(org.updraft.api.device.DeviceState.VERIFIED) == 0;
            if (done.isDone() || state.isFinal() && settled || state == RolloutState.PAUSED && settled) {
                return progress;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("  stopped after " + timeoutSeconds + " s (--timeout)");
                return progress;
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("demo interrupted");
            }
        }
    }

    /**
     * The rollout's progress, or the last one while a backend is briefly unavailable (a ledger or registry being
     * restarted or swapped): devices retry meanwhile, and so does the demo.
     */
    private RolloutProgress progressOrLast(RolloutService service, String id, RolloutProgress last)
            throws RolloutException {
        try {
            RolloutProgress now = service.progress(id);
            waitingSince = null;
            return now;
        } catch (RolloutException e) {
            if (!TRANSIENT.contains(e.code())) {
                throw e;
            }
            if (waitingSince == null) {
                waitingSince = Instant.now();
                System.out.println("  (" + e.getMessage() + "; the demo waits for it)");
            }
            return last;
        }
    }

    /** Cancels the demo's rollout, trying for a few seconds while a backend is unavailable; says what is left. */
    static void cancel(RolloutService service, String id, String actor) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                Rollout r = service.find(id).orElse(null);
                if (r == null || r.state().isFinal()) {
                    return;
                }
                service.cancel(id, actor, "the demo ended before its rollout did");
                System.out.println("  rollout " + id + " cancelled: the demo ended before it did");
                return;
            } catch (RolloutException e) {
                if (!TRANSIENT.contains(e.code()) || System.nanoTime() > deadline) {
                    System.out.println("  rollout " + id + " is left as it is (" + e.getMessage()
                            + "): cancel it with updraft:rollout-cancel " + id);
                    return;
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                System.out.println("  rollout " + id + " is left as it is: cancel it with updraft:rollout-cancel " + id);
                return;
            }
        }
    }

    private static String line(RolloutProgress progress, FleetProgress fleet) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "  %5.1fs %-9s", fleet.elapsed().toMillis() / 1000.0,
                progress.rollout().state().name().toLowerCase(Locale.ROOT)));
        for (WaveProgress w : progress.waves()) {
            s.append(String.format(Locale.ROOT, " | %s %d/%d", w.name(), w.installed(), w.members()));
            int bad = w.failed() + w.rolledBack();
            if (bad > 0) {
                s.append(" (").append(bad).append(" failed)");
            }
            if ("passed".equals(w.status())) {
                s.append(" ✓");
            }
        }
        s.append(String.format(Locale.ROOT, " | %.1f MiB", fleet.bytesDownloaded() / 1048576.0));
        return s.toString();
    }

    private static void printWaves(RolloutProgress progress) {
        System.out.println(String.format("  %-10s %-8s %8s %8s %10s %7s %12s", "wave", "status", "devices", "offered",
                "installed", "failed", "rolled back"));
        for (WaveProgress w : progress.waves()) {
            System.out.println(String.format("  %-10s %-8s %8d %8d %10d %7d %12d", w.name(), w.status(), w.members(),
                    w.offered(), w.installed(), w.failed(), w.rolledBack()));
        }
    }

    private void checkOptions() {
        if (devices < 1 || devices > 100_000) {
            throw new IllegalArgumentException("--devices must be from 1 to 100000");
        }
        if (imageKib != null && (imageKib < 1 || imageKib > 64 * 1024)) {
            throw new IllegalArgumentException("--image-size must be from 1 to 65536 KiB");
        }
        if (delta == null) {
            if (baseImageFile != null || imageFile != null || otherBase != 0) {
                throw new IllegalArgumentException("--base-image, --image and --other-base belong to a delta rollout: "
                        + "add --delta bsdiff");
            }
        } else {
            String codec = delta.strip();
            if (DeltaCodecs.find(codec).isEmpty()) {
                throw new IllegalArgumentException("--delta is bsdiff, not '" + delta + "'");
            }
            if (profile != null && (baseImageFile != null || imageFile != null)) {
                throw new IllegalArgumentException("--base-image and --image are images without a profile: with "
                        + "--profile the demo builds both releases' images of the family");
            }
            if (profile == null && !DeltaCodecs.DEFAULT.equals(codec)) {
                // DeltaChoice: a class without device profile is offered the default codec only
                throw new IllegalArgumentException("--delta " + codec + ": the demo's devices have no device profile, "
                        + "and such devices are offered " + DeltaCodecs.DEFAULT + " deltas only (a class whose profile "
                        + "lists " + codec + " in delta.codecs gets " + codec + "); use --delta " + DeltaCodecs.DEFAULT
                        + ", or --profile with --delta " + codec);
            }
            if ((baseImageFile == null) != (imageFile == null)) {
                throw new IllegalArgumentException("--base-image and --image go together: the image the fleet runs "
                        + "and the new one");
            }
            if (imageFile != null && imageKib != null) {
                throw new IllegalArgumentException("--image-size does not go with --image: the files give the sizes");
            }
            if (!(otherBase >= 0 && otherBase <= 1)) {
                throw new IllegalArgumentException("--other-base must be from 0 to 1");
            }
        }
        if (loss < 0 || loss > 0.5) {
            throw new IllegalArgumentException("--loss must be from 0 to 0.5");
        }
        if (!(success > 0 && success <= 100)) {
            throw new IllegalArgumentException("--success must be above 0 and at most 100 percent");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be at least 1 second");
        }
    }

    /**
     * The base and new images of a delta rollout: the files given, or a random base and a copy of it with about 1%
     * changed (scattered bytes and a short inserted run, as a small fix moves code).
     */
    DeltaImages deltaImages(int kib) throws IOException {
        byte[] base;
        byte[] next;
        String origin;
        if (baseImageFile != null) {
            base = readImage("--base-image", baseImageFile);
            next = readImage("--image", imageFile);
            if (Arrays.equals(base, next)) {
                throw new IllegalArgumentException("--base-image and --image are the same image: there is nothing to "
                        + "update");
            }
            origin = "from " + baseImageFile + " (" + base.length + " bytes) and " + imageFile + " (" + next.length
                    + " bytes)";
        } else {
            Random random = new Random(System.nanoTime());
            base = new byte[kib * 1024];
            random.nextBytes(base);
            next = changed(base, random);
            origin = "generated: " + base.length + " random bytes, and a copy with about 1% changed (" + next.length
                    + " bytes)";
        }
        checkFleetFlash(base.length);
        return new DeltaImages(base, next, origin);
    }

    private void checkFleetFlash(long baseImageBytes) {
        if (devices * baseImageBytes > MAX_FLEET_FLASH) {
            throw new IllegalArgumentException("--devices " + devices + " with a " + baseImageBytes + "-byte base "
                    + "image needs more than 1 GiB of simulated flash (each device holds its own copy): use fewer "
                    + "devices or a smaller image");
        }
    }

    /** {@code base} with about 1% of it changed: half in scattered bytes, half as a run inserted mid-image. */
    static byte[] changed(byte[] base, Random random) {
        int budget = Math.max(2, base.length / 100);
        byte[] edited = base.clone();
        for (int i = 0; i < budget / 2; i++) {
            edited[random.nextInt(edited.length)] ^= (byte) (1 + random.nextInt(255));
        }
        byte[] inserted = new byte[budget - budget / 2];
        random.nextBytes(inserted);
        int at = edited.length / 2;
        byte[] next = new byte[edited.length + inserted.length];
        System.arraycopy(edited, 0, next, 0, at);
        System.arraycopy(inserted, 0, next, at, inserted.length);
        System.arraycopy(edited, at, next, at + inserted.length, edited.length - at);
        return next;
    }

    private static byte[] readImage(String option, String file) throws IOException {
        Path path = Path.of(file).toAbsolutePath();
        try {
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException(option + " " + path + " is a directory, not an image file");
            }
            long size = Files.size(path);
            if (size == 0) {
                throw new IllegalArgumentException(option + " " + path + " is empty");
            }
            if (size > MAX_IMAGE_BYTES) {
                throw new IllegalArgumentException(option + " " + path + " has " + size + " bytes; the demo takes "
                        + "images of at most 64 MiB");
            }
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + " " + path + " does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException(option + " " + path + " cannot be read (permission denied)");
        }
    }

    /**
     * The LoRaWAN demo ({@link LorawanDemo}): refused before anything is recorded when the LoRaWAN transport is not
     * installed, not configured for the broker, runs in real time, or no broker answers; with {@code --multicast}, when
     * its multicast settings do not let the demo serve the simulated ChirpStack's API and write the devices' keys.
     */
    private Object lorawanDemo() throws Exception {
        if (delta != null || profile != null) {
            throw new IllegalArgumentException("--transport lorawan takes opaque images: no --delta or --profile");
        }
        if (loss >= 1) {
            throw new IllegalArgumentException("--loss must be below 1");
        }
        LorawanSettings settings;
        settings = LorawanSettings.of(bundleContext, configurations, broker, devices, multicast);
        int kib = imageKib != null ? imageKib : LORAWAN_DEFAULT_KIB;
        TrustStore trustStore = require(selected(TrustStore.class, TrustStore.SELECTED), "trust store", "updraft");
        ReleaseService releaseService = require(releases, "release service", "updraft");
        RolloutService rolloutService = require(rollouts, "rollout service", "updraft-rollout");
        DeviceRegistry deviceRegistry = require(selected(DeviceRegistry.class, DeviceRegistry.SELECTED),
                "device registry", "updraft-registry-jdbc");
        Ledger log = require(selected(Ledger.class, Ledger.SELECTED), "ledger", "updraft-ledger-local");
        String actor = "operator:" + Optional.ofNullable(ShellUtil.getCurrentUserName()).orElse("console");
        Instant started = Instant.now();
        String run = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        String deviceClass = "demo-" + run;
        Path dir = DataPaths.resolve("${karaf.data}/updraft/demo/" + run);
        Files.createDirectories(dir);
        if (devices > settings.maxDevices()) {
            detail("the transport takes at most " + settings.maxDevices() + " devices a session (max.devices): "
                    + devices + " devices need several sessions, one after another");
        }

        step("1", "A manufacturer key, generated here for the demo (a real manufacturer runs `updraft keygen` on its "
                + "own machine; the platform never holds the private key)");
        SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey trusted = trustStore.register(manufacturer.did(), VENDOR, Set.of(), actor);
        detail("trusted " + trusted.did() + " for vendor " + VENDOR + " (ledger #" + trusted.ledgerIndex() + ")");

        step("2", "A sample firmware of " + kib + " KiB, signed as `updraft sign` does");
        byte[] firmware = new byte[kib * 1024];
        new Random(started.toEpochMilli()).nextBytes(firmware);
        Path image = dir.resolve("firmware.bin");
        Files.write(image, firmware);
        Manifest manifest = sign(image, deviceClass, null, "2.0.0", 2, started, manufacturer);
        byte[] signed = ManifestCodec.sign(manifest, manufacturer);
        Files.write(dir.resolve("firmware.manifest"), signed);
        detail(manifest.releaseId() + ", version 2.0.0, " + manifest.size() + " bytes, CID " + manifest.cid());

        step("3", "Publish: verified again by the platform, stored by CID, recorded on the ledger");
        Release release = releaseService.publish(signed, image, deviceClass, null, actor);
        detail("published " + release.id() + " at ledger #" + release.ledgerIndex());

        try {
            String statementKey = updates == null ? null : updates.statementKey();
            LorawanDemo.run(new LorawanDemo.Run(settings, VENDOR, deviceClass, manufacturer, trusted, log.logKey(),
                    statementKey, devices, loss, success, timeoutSeconds, quiet, actor, started, dir), release,
                    deviceRegistry, rolloutService, this::lorawanStatus);
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("the LoRaWAN transport's simulated network (package "
                    + "org.updraft.transport.lorawan.sim) cannot be loaded: " + e.getMessage() + "; release "
                    + release.id() + " is published, no rollout was started");
        }

        step("8", "Ledger audit: every event, every signed checkpoint, consistency between them");
        LedgerAudit.Result audit = audit(log);
        if (!audit.consistent()) {
            throw new IllegalStateException("the ledger audit failed: " + audit.firstInconsistency());
        }
        System.out.println("  consistent: " + audit.events() + " events, " + audit.checkpoints()
                + " signed checkpoints, root " + java.util.HexFormat.of().formatHex(audit.rootHash()));
        return null;
    }

    /** What the LoRaWAN transport says of itself (updraft:status's line), or that it is not running. */
    private String lorawanStatus() {
        try {
            for (ServiceReference<org.updraft.api.transport.TransportStatus> ref : bundleContext.getServiceReferences(
                    org.updraft.api.transport.TransportStatus.class, null)) {
                org.updraft.api.transport.TransportStatus t = bundleContext.getService(ref);
                try {
                    if (t != null && LORAWAN.equals(t.kind())) {
                        return t.status();
                    }
                } finally {
                    bundleContext.ungetService(ref);
                }
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return "not running";
    }

    /**
     * Where the running CoAP transport serves devices: over DTLS when it does (its default), else unencrypted CoAP
     * (plain.enabled with dtls.port=-1), with a warning line.
     *
     * @throws IllegalStateException when no CoAP transport listens
     */
    private DeviceEndpoint coapEndpoint() throws org.osgi.framework.InvalidSyntaxException {
        List<DeviceEndpoint> found = new ArrayList<>();
        for (ServiceReference<DeviceEndpoints> ref : bundleContext.getServiceReferences(DeviceEndpoints.class, null)) {
            DeviceEndpoints endpoints = bundleContext.getService(ref);
            if (endpoints != null) {
                used.add(ref);
                endpoints.deviceEndpoints().stream().filter(e -> e.scheme().startsWith("coap")).forEach(found::add);
            }
        }
        Optional<DeviceEndpoint> secure = found.stream().filter(DeviceEndpoint::secure).findFirst();
        if (secure.isPresent()) {
            return secure.get();
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("the CoAP device API is not listening (see updraft:status; feature "
                    + "updraft-transport-coap): the devices could not reach the platform");
        }
        detail("the CoAP device API serves no DTLS (dtls.port=-1): the fleet speaks unencrypted CoAP");
        return found.get(0);
    }

    /** A transport bound to every interface is reached on loopback. */
    private static InetSocketAddress reachable(InetSocketAddress address) {
        return address.getAddress() != null && address.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress("127.0.0.1", address.getPort()) : address;
    }

    private static String coapName(DeviceEndpoint endpoint, InetSocketAddress address) {
        return (endpoint.secure() ? "CoAP over DTLS at " : "unencrypted CoAP at ") + address.getHostString() + ":"
                + address.getPort();
    }

    /**
     * The broker of the platform's MQTT transport, which the devices must use too: the transport must be running
     * (feature updraft-transport-mqtt) and {@code --broker}, when given, must be its {@code broker.uri}.
     */
    private String mqttBroker() throws IOException {
        boolean running = false;
        for (Bundle bundle : bundleContext.getBundles()) {
            if (MQTT_PID.equals(bundle.getSymbolicName()) && bundle.getState() == Bundle.ACTIVE) {
                running = true;
            }
        }
        if (!running) {
            throw new IllegalStateException("--transport " + transport + " needs the platform's MQTT transport: "
                    + "feature:install updraft-transport-mqtt, and set broker.uri in etc/" + MQTT_PID + ".cfg to "
                    + (broker == null ? "your broker" : broker));
        }
        String configured = "tcp://localhost:1883";
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=" + MQTT_PID + ")");
            if (found != null && found.length > 0 && found[0].getProperties() != null) {
                configured = Optional.ofNullable(found[0].getProperties().get("broker.uri")).map(Object::toString)
                        .map(String::strip).orElse(configured);
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (broker != null && !broker.strip().equals(configured)) {
            throw new IllegalStateException("--broker " + broker.strip() + " is not the broker of the platform's MQTT "
                    + "transport (" + configured + "): the devices would not reach the platform; set broker.uri in "
                    + "etc/" + MQTT_PID + ".cfg or pass --broker " + configured);
        }
        // refuse a URI no device could use now, before anything is published
        MqttLink.builder(configured);
        // the simulated devices have no certificates of their own and would trust the JVM's CAs, not the broker's
        if (!configured.startsWith("tcp://")) {
            throw new IllegalStateException("the demo's simulated devices reach the broker over plain tcp://host:port "
                    + "only, not " + configured + ": give the broker a tcp:// listener on loopback for the demo");
        }
        return configured;
    }

    /**
     * The platform's forwarding service of {@code type} that {@code filter} names (the selected ledger, trust store,
     * registry, which stay registered while backends come and go), or null. Looked up here, not injected: Karaf's
     * shell may hand an action any service of a field's type whatever its {@code @Reference} filter (seen: the demo
     * was given the local ledger itself and, after an operator restarted it, audited the closed one).
     */
    private <T> T selected(Class<T> type, String filter) throws org.osgi.framework.InvalidSyntaxException {
        for (ServiceReference<T> ref : bundleContext.getServiceReferences(type, filter)) {
            T service = bundleContext.getService(ref);
            if (service != null) {
                used.add(ref);
                return service;
            }
        }
        return null;
    }

    /** The running device profile {@code id}, or why the demo cannot use it. */
    private DeviceProfile deviceProfile(String id) throws org.osgi.framework.InvalidSyntaxException {
        if (!DemoFamily.PROFILES.contains(id)) {
            throw new IllegalArgumentException("--profile is one of " + String.join(", ", DemoFamily.PROFILES)
                    + ", not '" + id + "'");
        }
        for (ServiceReference<DeviceProfile> ref : bundleContext.getServiceReferences(DeviceProfile.class,
                "(" + DeviceProfile.ID + "=" + id + ")")) {
            DeviceProfile found = bundleContext.getService(ref);
            if (found != null) {
                used.add(ref);
                return found;
            }
        }
        throw new IllegalStateException("--profile " + id + " needs the " + id + " device profile: feature:install "
                + "updraft-profile-" + id);
    }

    /** Gives the run's device class its configuration in the profile, and waits until the profile has it. */
    private void configure(DemoFamily family, DeviceProfile deviceProfile, String deviceClass) throws Exception {
        Map<String, Object> properties = new java.util.HashMap<>(family.classConfiguration(deviceClass));
        if (delta != null) {
            // the class's devices apply this codec's patches within the agent's working memory
            properties.put("delta.codecs", new String[] { delta.strip() });
            properties.put("delta.memory", DEVICE_DELTA_MEMORY);
        }
        classConfiguration = configurations.getFactoryConfiguration(family.configurationPid(), deviceClass, "?");
        classConfiguration.update(new java.util.Hashtable<>(properties));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (deviceProfile.limits(deviceClass).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the " + family.profile() + " profile did not take the configuration "
                        + family.configurationPid() + "~" + deviceClass + " within 30 s: see updraft:profile-list "
                        + "and the log");
            }
            Thread.sleep(100);
        }
        detail("configuration " + family.configurationPid() + "~" + deviceClass + ": " + new java.util.TreeMap<>(
                properties));
    }

    private static <T> T require(T service, String what, String feature) {
        if (service == null) {
            throw new IllegalStateException("no " + what + " is running: install feature " + feature
                    + " (feature:install " + feature + ") or check its configuration");
        }
        return service;
    }

    static void step(String n, String text) {
        System.out.println();
        System.out.println(n + ". " + text);
    }

    static void detail(String text) {
        System.out.println("  " + text);
    }

    static String percent(double share) {
        return trim(share * 100) + "%";
    }

    static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
