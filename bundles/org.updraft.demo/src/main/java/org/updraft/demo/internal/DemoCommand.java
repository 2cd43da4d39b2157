package org.updraft.demo.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
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
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.release.Release;
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
import org.updraft.core.config.DataPaths;
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
import org.updraft.device.MqttLink;
import org.updraft.device.SimulatedDevice;

/**
 * The main demo: the whole chain of trust on the embedded defaults, with a simulated fleet over real CoAP on
 * loopback, through an MQTT broker ({@code --transport mqtt}), or a mixed fleet on both ({@code --transport both}). Each run makes its own device class ({@code demo-N}), so runs never collide with each other or with
 * real releases.
 */
@Command(scope = "updraft", name = "demo", description = "Signs and publishes a sample firmware, rolls it out in "
        + "waves (a canary, then region by region) to a simulated fleet over CoAP, MQTT or both, shows live progress "
        + "per wave, "
        + "and ends with a summary and a ledger audit")
@Service
public class DemoCommand implements Action {

    static final String VENDOR = "updraft-demo";
    static final List<String> REGIONS = List.of("eu-west", "us-east", "ap-south");
    static final int CANARIES = 5;
    private static final String MQTT_PID = "org.updraft.transport.mqtt";

    @Option(name = "--devices", description = "Simulated devices (default 1000)")
    int devices = 1000;

    @Option(name = "--image-size", description = "Firmware image size in KiB (default 64)")
    int imageKib = 64;

    @Option(name = "--block-size", description = "Block size the devices ask for: 16 to 1024 (default 1024; "
            + "over MQTT the platform may cut blocks to the device's maximum packet size)")
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

    @Option(name = "--canary-error", description = "Error threshold of the canary wave in percent (default 20)")
    double canaryError = 20;

    @Option(name = "--timeout", description = "Give up after this many seconds (default 600)")
    int timeoutSeconds = 600;

    @Option(name = "--quiet", description = "No live progress, only the summary")
    boolean quiet;

    @Option(name = "--transport", description = "How the devices reach the platform: coap (default), mqtt (each "
            + "device its own connection to the broker; needs feature updraft-transport-mqtt), or both (a mixed fleet: "
            + "every second device over MQTT)")
    String transport = "coap";

    @Option(name = "--broker", description = "The MQTT broker for --transport mqtt or both, tcp://host:port; it "
            + "must be the broker the platform's MQTT transport is configured with (default: that one)")
    String broker;

    @Reference
    BundleContext bundleContext;

    @Reference(optional = true, filter = TrustStore.SELECTED)
    TrustStore trust;

    @Reference(optional = true)
    ReleaseService releases;

    @Reference(optional = true)
    RolloutService rollouts;

    @Reference(optional = true, filter = DeviceRegistry.SELECTED)
    DeviceRegistry registry;

    @Reference(optional = true, filter = Ledger.SELECTED)
    Ledger ledger;

    @Reference
    ConfigurationAdmin configurations;

    /** Rollout refusals that mean a backend is briefly away, not that the demo went wrong. */
    private static final Set<String> TRANSIENT = Set.of("ledger-failed", "registry-failed", "trust-unavailable");

    /** When the demo started waiting for an unavailable backend, or null. */
    private Instant waitingSince;

    @Override
    public Object execute() throws Exception {
        checkOptions();
        FleetTransport fleetTransport = FleetTransport.of(transport);
        String brokerUri = fleetTransport == FleetTransport.COAP ? null : mqttBroker();
        TrustStore trustStore = require(trust, "trust store", "updraft");
        ReleaseService releaseService = require(releases, "release service", "updraft");
        RolloutService rolloutService = require(rollouts, "rollout service", "updraft-rollout");
        DeviceRegistry deviceRegistry = require(registry, "device registry", "updraft-registry-jdbc");
        Ledger log = require(ledger, "ledger", "updraft-ledger-local");
        InetSocketAddress coap = coapAddress();
        String actor = "operator:" + Optional.ofNullable(ShellUtil.getCurrentUserName()).orElse("console");
        Instant started = Instant.now();
        String run = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        String deviceClass = "demo-" + run;
        Path dir = DataPaths.resolve("${karaf.data}/updraft/demo/" + run);
        Files.createDirectories(dir);

        step("1", "A manufacturer key, generated here for the demo (a real manufacturer runs `updraft keygen` on its "
                + "own machine; the platform never holds the private key)");
        SigningKey manufacturer = SigningKey.generate(KeyAlgorithm.ED25519);
        TrustedKey trusted = trustStore.register(manufacturer.did(), VENDOR, Set.of());
        detail("trusted " + trusted.did() + " for vendor " + VENDOR + " (ledger #" + trusted.ledgerIndex() + ")");

        step("2", "A sample firmware of " + imageKib + " KiB, signed as `updraft sign` does");
        Path image = dir.resolve("firmware.bin");
        byte[] firmware = new byte[imageKib * 1024];
        new Random(started.toEpochMilli()).nextBytes(firmware);
        Files.write(image, firmware);
        MeasuredImage measured = MeasuredImage.of(image, List.of(CidOptions.DEFAULT));
        Manifest manifest = new Manifest(VENDOR, deviceClass, null, "2.0.0", 2, measured.size(), measured.sha256(),
                measured.cid(CidOptions.DEFAULT), null, started, manufacturer.did());
        byte[] signed = ManifestCodec.sign(manifest, manufacturer);
        Files.write(dir.resolve("firmware.manifest"), signed);
        detail(manifest.releaseId() + ", version 2.0.0, CID " + manifest.cid());

        step("3", "Publish: verified again by the platform, stored by CID, recorded on the ledger");
        Release release = releaseService.publish(signed, image, deviceClass, null);
        detail("published " + release.id() + " at ledger #" + release.ledgerIndex());

        step("4", devices + " simulated devices, each with its own key, registered in " + REGIONS.size() + " regions");
        List<SimulatedDevice> fleet = FleetProvisioning
                .builder(VENDOR, deviceClass, log.logKey(), did -> did.equals(manufacturer.did())
                        ? Optional.of(trusted) : Optional.empty())
                .regions(REGIONS).idPrefix(deviceClass + "-").installed("1.0.0", 1).seed(started.toEpochMilli())
                .generate(devices);
        deviceRegistry.registerAll(FleetProvisioning.devices(fleet, started));
        detail(deviceRegistry.status());

        step("5", "A rollout: " + CANARIES + " canaries, then one wave per region");
        List<WaveSpec> waves = new ArrayList<>();
        List<String> canaries = fleet.stream().limit(Math.min(CANARIES, devices)).map(SimulatedDevice::id).toList();
        waves.add(new WaveSpec("canary", new WaveSelector.Devices(canaries), 100, canaryError, true, null, 0));
        for (String region : REGIONS) {
            waves.add(new WaveSpec(region, new WaveSelector.Region(region), 90, 10, true, null, 0));
        }
        Rollout rollout = rolloutService.create(new RolloutSpec(release.id(), null, waves), actor);
        rollout = rolloutService.start(rollout.id(), actor);
        detail("rollout " + rollout.id() + " started: canary (success 100%, error " + trim(canaryError)
                + "%), then " + String.join(", ", REGIONS) + " (success 90%, error 10%), each advancing by itself");

        step("6", "The fleet, " + switch (fleetTransport) {
            case COAP -> "over CoAP at " + coap.getHostString() + ":" + coap.getPort();
            case MQTT -> "over MQTT through " + brokerUri;
            case BOTH -> "half over CoAP at " + coap.getHostString() + ":" + coap.getPort() + ", half over MQTT "
                    + "through " + brokerUri;
        } + " (loss " + percent(loss) + ", boot failures " + percent(bootFailures) + ", offline " + percent(offline)
                + ")");
        FleetConfig.Builder fleetBuilder = FleetConfig.builder(coap);
        if (fleetTransport != FleetTransport.COAP) {
            fleetBuilder.mqtt(fleetTransport, brokerUri);
        }
        FleetConfig config = fleetBuilder.blockSize(blockSize).lossShare(loss)
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

        step("8", "Ledger audit: every event, every signed checkpoint, consistency between them");
        LedgerAudit.Result audit = LedgerAudit.audit(log, null);
        if (!audit.consistent()) {
            throw new IllegalStateException("the ledger audit failed: " + audit.firstInconsistency());
        }
        System.out.println("  consistent: " + audit.events() + " events, " + audit.checkpoints()
                + " signed checkpoints, root " + java.util.HexFormat.of().formatHex(audit.rootHash()));
        return null;
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
    private static void cancel(RolloutService service, String id, String actor) {
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
        if (imageKib < 1 || imageKib > 64 * 1024) {
            throw new IllegalArgumentException("--image-size must be from 1 to 65536 KiB");
        }
        if (loss < 0 || loss > 0.5) {
            throw new IllegalArgumentException("--loss must be from 0 to 0.5");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout must be at least 1 second");
        }
    }

    /** Where the CoAP transport listens, from its configuration (its defaults when it has none). */
    private InetSocketAddress coapAddress() throws IOException {
        String host = "0.0.0.0";
        int port = 5683;
        try {
            Configuration[] found = configurations.listConfigurations("(service.pid=org.updraft.transport.coap)");
            if (found != null && found.length > 0 && found[0].getProperties() != null) {
                Dictionary<String, Object> p = found[0].getProperties();
                host = Optional.ofNullable(p.get("bind.address")).map(Object::toString).orElse(host);
                port = Optional.ofNullable(p.get("port")).map(o -> Integer.parseInt(o.toString().trim())).orElse(port);
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        // a server bound to every interface is reached on loopback
        return new InetSocketAddress("0.0.0.0".equals(host) || "::".equals(host) ? "127.0.0.1" : host, port);
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
        // the simulated devices speak plain tcp://host:port: refuse anything else now, before anything is published
        MqttLink.builder(configured);
        return configured;
    }

    private static <T> T require(T service, String what, String feature) {
        if (service == null) {
            throw new IllegalStateException("no " + what + " is running: install feature " + feature
                    + " (feature:install " + feature + ") or check its configuration");
        }
        return service;
    }

    private static void step(String n, String text) {
        System.out.println();
        System.out.println(n + ". " + text);
    }

    private static void detail(String text) {
        System.out.println("  " + text);
    }

    private static String percent(double share) {
        return trim(share * 100) + "%";
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
