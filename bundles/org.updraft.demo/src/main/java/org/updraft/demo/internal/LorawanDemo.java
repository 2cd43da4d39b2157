package org.updraft.demo.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutSpec;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.api.rollout.WaveSpec;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.DeviceOutcome;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.MulticastCounts;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.Summary;

/**
 * {@code updraft:demo --transport lorawan}: LoRaWAN devices behind a simulated ChirpStack on a real MQTT broker, updated
 * by the platform's LoRaWAN transport (feature {@code updraft-transport-lorawan}) in a FUOTA session, in the accelerated
 * time its {@code clock.speedup} sets. The demo registers the devices tagged for the transport, publishes a release and
 * starts a rollout to them; the transport finds them, runs the session through the broker, and each device's signed
 * report, sent back as uplinks, is what the ledger records. With {@code --multicast} the transport runs a multicast
 * session instead: the simulated ChirpStack also serves its multicast-group REST API where the transport's
 * {@code api.uri} points, and each device gets a random McRootKey, which the demo writes to the transport's
 * {@code multicast.keys.file}. Loaded only then, so that the demo bundle runs without the LoRaWAN feature.
 */
final class LorawanDemo {

    private LorawanDemo() {
    }

    /** What the run needs from the platform and the command line. */
    record Run(LorawanSettings settings, String vendor, String deviceClass, SigningKey manufacturer,
            TrustedKey trusted, String logKey, String statementKey, int devices, double loss, double success,
            int timeoutSeconds, boolean quiet, String actor, Instant started, Path dir) {
    }

    /**
     * Registers the devices, starts the simulated network, rolls the release out to the devices and watches the
     * transport's session until every device reported or the time is up; prints the summary.
     */
    static void run(Run run, Release release, DeviceRegistry registry, RolloutService rollouts,
            java.util.function.Supplier<String> transportStatus) throws Exception {
        LorawanSettings s = run.settings();
        DemoCommand.step("4", run.devices() + " simulated LoRaWAN devices (EU868, Class C for the session), each with its "
                + "own key, registered by DevEUI and tagged " + s.tag() + ", behind a simulated ChirpStack on "
                + s.broker() + " (application " + s.applicationId() + ")");
        Random random = new Random(run.started().toEpochMilli());
        TrustLookup manufacturers = did -> did.equals(run.manufacturer().did()) ? Optional.of(run.trusted())
                : Optional.empty();
        SimulatedLorawanFleet.Builder builder = SimulatedLorawanFleet.builder(s.broker(), s.applicationId())
                .trust(run.logKey(), manufacturers).statementKey(run.statementKey()).speedup(s.speedup())
                .dataRate(s.dataRate()).loss(run.loss()).seed(run.started().toEpochMilli()).reportPort(s.reportPort());
        List<Device> devices = new ArrayList<>();
        LorawanSettings.Multicast mc = s.multicast();
        // each device's TS005 McRootKey, as a manufacturer provisions it; drawn at random, never printed
        Map<String, byte[]> rootKeys = new LinkedHashMap<>();
        SecureRandom keys = new SecureRandom();
        // a DevEUI of its own per run: 70b3d5 (an OUI used for LoRaWAN devices), then the run's and the device's number
        long runBits = (run.started().getEpochSecond() & 0xffff) << 24;
        for (int i = 0; i < run.devices(); i++) {
            String devEui = String.format(Locale.ROOT, "70b3d5%010x", runBits | i);
            SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
            builder.device(devEui, key, run.vendor(), run.deviceClass(), "1.0.0", 1);
            if (mc != null) {
                byte[] rootKey = new byte[16];
                keys.nextBytes(rootKey);
                builder.mcRootKey(devEui, rootKey);
                rootKeys.put(devEui, rootKey);
            }
            devices.add(new Device(devEui, key.did(), run.vendor(), run.deviceClass(), null, Set.of(s.tag()),
                    DemoCommand.REGIONS.get(random.nextInt(DemoCommand.REGIONS.size())), "1.0.0", 1, DeviceState.IDLE,
                    null, run.started()));
        }
        if (mc != null) {
            // before the rollout: the transport reads the file when its session starts
            DemoMcRootKeys.write(mc.keysFile(), rootKeys);
            DemoCommand.detail("each device's TS005 McRootKey drawn at random, given to it and written to "
                    + "multicast.keys.file " + mc.keysFile() + " (mode 600, replacing the demo's file of an earlier "
                    + "run; keys are never printed)");
            builder.multicastApi(mc.token()).apiAddress(mc.apiAddress());
        }
        registry.registerAll(devices);
        DemoCommand.detail(registry.status());
        try (SimulatedLorawanFleet fleet = builder.start()) {
            DemoCommand.detail("the simulated ChirpStack is subscribed to application/" + s.applicationId()
                    + "/device/+/command/down; the devices' radios lose " + DemoCommand.percent(run.loss())
                    + " of the frames each way; time runs " + DemoCommand.trim(s.speedup()) + " times faster than real");
            if (mc != null) {
                DemoCommand.detail("it serves ChirpStack's multicast-group REST API at " + fleet.apiUri() + " (api.uri), "
                        + "accepting the token of api.token.file " + mc.tokenFile() + " only");
            }

            DemoCommand.step("5", "A rollout to the devices tagged " + s.tag() + " of the class, one wave; the LoRaWAN "
                    + "transport finds them, " + (mc == null ? "runs a unicast FUOTA session of the offer and the "
                    + "image (TS004 fragments and redundancy at DR" + s.dataRate() + ", paced by the duty cycle)"
                    : "sets each device up by unicast (TS003 clock, TS005 group " + mc.address() + " with the "
                    + "session's McKey encrypted under the device's McRootKey, TS004 session), creates a Class C "
                    + "multicast group through the API, and sends the offer and the image once to the group (TS004 "
                    + "fragments and redundancy at DR" + s.dataRate() + ", paced by the duty cycle); the group is "
                    + "deleted when the session ends") + ", and passes their signed reports to the platform");
            // the one wave advances on its own: at the success threshold the rollout completes (a completed rollout
            // still serves the devices whose session has not ended); without it the rollout stayed running and the
            // demo cancelled it at the end
            Rollout rollout = rollouts.create(new RolloutSpec(release.id(), DeviceFilter.ALL
                    .withDeviceClass(run.deviceClass()).withTags(Set.of(s.tag())), List.of(new WaveSpec("lorawan",
                            new WaveSelector.Percent(100), run.success(), 100, true, null, 0))), run.actor());
            rollout = rollouts.start(rollout.id(), run.actor());
            DemoCommand.detail("rollout " + rollout.id() + " started (success " + DemoCommand.trim(run.success()) + "%)");

            DemoCommand.step("6", "The session, in simulated time");
            boolean finished = false;
            try {
                RolloutProgress last = watch(run, rollouts, rollout.id(), fleet, transportStatus);
                if (mc != null) {
                    // the transport deletes the group when its session ends, through this fleet's API: keep it up till then
                    awaitGroupsDeleted(fleet, transportStatus, release.id());
                }
                summary(run, release, fleet, last, transportStatus.get());
                finished = true;
            } finally {
                if (!finished || !rollouts.progress(rollout.id()).rollout().state().isFinal()) {
                    // stopped by an error, Ctrl-C or the timeout: the transport would go on offering it later
                    DemoCommand.cancel(rollouts, rollout.id(), run.actor());
                }
            }
        }
    }

    private static RolloutProgress watch(Run run, RolloutService rollouts, String rolloutId,
            SimulatedLorawanFleet fleet, java.util.function.Supplier<String> transportStatus) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(run.timeoutSeconds());
        RolloutProgress progress = rollouts.progress(rolloutId);
        String lastLine = null;
        long quietSince = System.nanoTime();
        int lastReported = -1;
        boolean sawSession = false;
        while (true) {
            Thread.sleep(1000);
            progress = rollouts.progress(rolloutId);
            Summary now = fleet.summary();
            WaveProgress wave = progress.waves().get(0);
            int reported = wave.installed() + wave.failed() + wave.rolledBack();
            String group = "";
            if (run.settings().multicast() != null) {
                MulticastCounts mc = fleet.multicast();
                group = String.format(Locale.ROOT, " | group: %d created, %d deleted, %d frames", mc.created(),
                        mc.deleted(), mc.enqueued());
            }
            String line = String.format(Locale.ROOT, "  %5.1fs | %d downlinks, %d fragments (%d coded), airtime %.0f s "
                    + "| devices: %d rebuilding, %d installed, %d failed | reports on the ledger %d/%d%s",
                    (System.nanoTime() - start) / 1e9, now.downlinks(), now.fragments(), now.codedFragments(),
                    now.airtimeMicros() / 1e6, now.count(DeviceState.DOWNLOADING), now.count(DeviceState.INSTALLED),
                    now.count(DeviceState.FAILED), reported, run.devices(), group);
            if (!run.quiet() && !line.substring(9).equals(lastLine)) {
                System.out.println(line);
                lastLine = line.substring(9);
            }
            if (reported != lastReported) {
                lastReported = reported;
                quietSince = System.nanoTime();
            }
            if (reported >= run.devices()) {
                return progress;
            }
            // once the transport's session for the release has ended and no report came for a while, nothing more
            // happens in this run: devices the session gave up on are offered again only after its retry interval
            String status = transportStatus.get();
            String releaseId = progress.rollout().releaseId();
            boolean running = sessionRunning(status, releaseId);
            if (!running && status != null && (status.contains("no multicast session for " + releaseId)
                    || status.contains("multicast session for " + releaseId + " not started"))) {
                // the transport holds the devices until its retry interval: nothing more happens in this run
                System.out.println("  the transport started no multicast session: " + status);
                return progress;
            }
            sawSession |= running;
            if (sawSession && !running && System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(15)) {
                return progress;
            }
            if (System.nanoTime() > deadline) {
                System.out.println("  stopped after " + run.timeoutSeconds() + " s (--timeout)");
                return progress;
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("demo interrupted");
            }
        }
    }

    /**
     * Whether the transport's status shows a session for the release running: {@code session for R: ...} (unicast) or
     * {@code multicast session (group G) for R: ...}.
     */
    static boolean sessionRunning(String status, String releaseId) {
        if (status == null) {
            return false;
        }
        return status.contains("session for " + releaseId + ":") && !status.contains("no multicast session for "
                + releaseId + ":") || status.contains(") for " + releaseId + ":");
    }

    /**
     * Waits until the transport's session for the release has ended and no group is left in the simulated ChirpStack
     * (the transport deletes its group at the session's end), or gives up after two minutes; the summary says which.
     */
    private static void awaitGroupsDeleted(SimulatedLorawanFleet fleet, java.util.function.Supplier<String> status,
            String releaseId) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < until) {
            if (fleet.multicast().existing() == 0 && !sessionRunning(status.get(), releaseId)) {
                return;
            }
            Thread.sleep(200);
        }
    }

    private static void summary(Run run, Release release, SimulatedLorawanFleet fleet, RolloutProgress last,
            String transportStatus) {
        LorawanSettings s = run.settings();
        Summary sum = fleet.summary();
        DemoCommand.step("7", "Summary");
        WaveProgress wave = last.waves().get(0);
        System.out.println("  rollout    " + last.rollout().id() + " " + last.rollout().state().name()
                .toLowerCase(Locale.ROOT) + "; on the ledger: " + wave.installed() + " installed, " + wave.failed()
                + " failed, " + wave.rolledBack() + " rolled back, of " + wave.members());
        int nbFrag = sum.devices().stream().mapToInt(DeviceOutcome::nbFrag).max().orElse(0);
        int uncoded = sum.fragments() - sum.codedFragments();
        System.out.println(String.format(Locale.ROOT, "  fragments  %d sent: %d uncoded, %d coded (redundancy used "
                + "%.1f%% of the %d uncoded ones); M = %d fragments a device, %d downlinks in all (%d lost on air, %d "
                + "uplinks lost on air)", sum.fragments(), uncoded, sum.codedFragments(),
                uncoded == 0 ? 0 : 100.0 * sum.codedFragments() / uncoded, uncoded, nbFrag, sum.downlinks(),
                sum.downlinksLostOnAir(), sum.uplinksLostOnAir()));
        if (sum.uplinksLostInOutages() > 0) {
            System.out.println("             " + sum.uplinksLostInOutages() + " uplinks the simulated ChirpStack could "
                    + "not publish (the broker refused or was away)");
        }
        Map<String, Integer> reasons = new TreeMap<>();
        List<String> examples = new ArrayList<>();
        for (DeviceOutcome d : sum.devices()) {
            if (d.state() == DeviceState.INSTALLED) {
                continue;
            }
            String why = d.state() == DeviceState.FAILED ? "refused the update: " + d.reason()
                    : d.state() == DeviceState.DOWNLOADING ? "block incomplete (" + d.received() + " of " + d.nbFrag()
                            + " fragments' worth received)" : "never set up a session";
            reasons.merge(why.replaceAll("\\(\\d+ of \\d+", "(n of M"), 1, Integer::sum);
            if (examples.size() < 3) {
                examples.add(d.devEui() + ": " + why);
            }
        }
        System.out.println(String.format(Locale.ROOT, "  devices    %d: %d completed (installed, verified by the "
                + "device), %d failed", sum.devices().size(), sum.count(DeviceState.INSTALLED),
                sum.devices().size() - sum.count(DeviceState.INSTALLED)));
        if (!reasons.isEmpty()) {
            System.out.println("  reasons    " + reasons);
            examples.forEach(e -> System.out.println("             " + e));
        }
        long minimum = SimulatedLorawanFleet.minimumAirtimeMicros((int) release.size(), s.dataRate());
        int fragmentSize = SimulatedLorawanFleet.maxFragmentSize(s.dataRate());
        long minimumFragments = (release.size() + fragmentSize - 1) / fragmentSize;
        if (s.multicast() == null) {
            double perDevice = sum.fragmentAirtimeMicros() / 1e6 / Math.max(1, run.devices());
            System.out.println(String.format(Locale.ROOT, "  airtime    %.1f s on air in all (%.1f s of it fragments) "
                    + "at %s; per device %.1f s of fragments against %.1f s, the least any session could take to carry "
                    + "the %d-byte image at that data rate (%d fragments of %d bytes): %.2f of the bound",
                    sum.airtimeMicros() / 1e6, sum.fragmentAirtimeMicros() / 1e6, fleet.dataRateName(), perDevice,
                    minimum / 1e6, release.size(), minimumFragments, fragmentSize,
                    perDevice == 0 ? 0 : minimum / 1e6 / perDevice));
            System.out.println("             (unicast: every device gets its own copy of each frame; the block also "
                    + "carries the offer, its proof and checkpoint)");
        } else {
            double group = sum.fragmentAirtimeMicros() / 1e6;
            System.out.println(String.format(Locale.ROOT, "  airtime    %.1f s on air in all (%.1f s of it fragments, "
                    + "each sent once to the group) at %s; %.1f s of fragments for all %d devices against %.1f s, the "
                    + "least one copy of the %d-byte image takes at that data rate (%d fragments of %d bytes): %.2f of "
                    + "the bound", sum.airtimeMicros() / 1e6, group, fleet.dataRateName(), group, run.devices(),
                    minimum / 1e6, release.size(), minimumFragments, fragmentSize, group == 0 ? 0 : minimum / 1e6
                            / group));
            System.out.println(String.format(Locale.ROOT, "             (multicast: a unicast session would send each "
                    + "device its own copy, at least %.1f s of fragments for %d devices; the setup frames still go to "
                    + "each device; the block also carries the offer, its proof and checkpoint)",
                    minimum / 1e6 * run.devices(), run.devices()));
            MulticastCounts mc = fleet.multicast();
            System.out.println("  multicast  groups created " + mc.created() + ", deleted " + mc.deleted() + (mc
                    .existing() == 0 ? " (the group was deleted at the session's end: none is left in the simulated "
                    + "ChirpStack)" : "; " + mc.existing() + " still existed when the demo stopped (the transport's "
                    + "session was still running)") + "; " + mc.enqueued() + " frames enqueued for the group through "
                    + "the API, " + mc.devicesAdded() + " devices added to it");
            System.out.println("             on the radio: " + mc.receptionsLost() + " group receptions lost on air, "
                    + mc.notSetUp() + " group frames reaching a device not yet set up, " + mc.keyMismatches()
                    + " dropped for keys not the group's; API calls refused for their token: " + mc.unauthorized());
        }
        System.out.println("  transport  " + transportStatus);
        if (!sum.problems().isEmpty()) {
            System.out.println("  network    " + sum.problems().size() + " problems, the first: " + sum.problems()
                    .get(0));
        }
    }
}
