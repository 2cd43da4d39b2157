package org.updraft.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.ops4j.pax.exam.Option;
import org.updraft.api.device.DeviceFilter;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.device.DeviceState;
import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.api.rollout.Rollout;
import org.updraft.api.rollout.RolloutProgress;
import org.updraft.api.rollout.RolloutService;
import org.updraft.api.rollout.RolloutState;
import org.updraft.api.rollout.WaveProgress;
import org.updraft.api.rollout.WaveSelector;
import org.updraft.core.event.DeviceEvents;
import org.updraft.core.event.RolloutEvents;
import org.updraft.core.update.SignedReport;

/**
 * A simulated fleet updated over real CoAP on loopback, inside the distribution: the main demo
 * ({@code updraft:demo}) drives it, and the platform's own records — rollout, registry, ledger — are checked
 * against what the devices did. Subclasses choose the registry's database.
 */
public abstract class FleetRolloutTestBase extends UpdraftTestSupport {

    @Override
    protected Option[] additionalOptions() {
        return registryOptions();
    }

    /** Options that point the device registry at its database. */
    protected abstract Option[] registryOptions();

    /** What the registry's status line must mention, e.g. the database product. */
    protected abstract String expectedRegistry();

    @Test
    public void fiveHundredDevicesAreUpdatedOverCoapWaveByWave() throws Exception {
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        assertTrue(registry.status(), registry.status().contains(expectedRegistry()));
        String out = executeCommand("updraft:demo --devices 500 --quiet", Duration.ofMinutes(6));
        assertTrue(out, out.contains("consistent: "));

        RolloutService rollouts = waitForService(RolloutService.class);
        Rollout rollout = latest(rollouts);
        assertEquals(out, RolloutState.COMPLETED, rollout.state());
        RolloutProgress progress = rollouts.progress(rollout.id());
        int members = 0;
        int installed = 0;
        int ended = 0;
        for (WaveProgress w : progress.waves()) {
            assertEquals(w.toString(), "passed", w.status());
            members += w.members();
            installed += w.installed();
            ended += w.installed() + w.failed() + w.rolledBack();
        }
        assertEquals(500, members);
        assertEquals("every device ended its update", 500, ended);
        assertTrue("most devices updated: " + installed, installed >= 450);

        // the registry and the ledger agree with the rollout's counters
        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        DeviceFilter updated = new DeviceFilter(release.vendor(), release.deviceClass(), null, Set.of(), null,
                "[2.0.0,)");
        assertEquals(installed, registry.count(updated));
        Map<String, DeviceState> reported = latestReports(rollout.id());
        assertEquals(installed, reported.values().stream().filter(s -> s == DeviceState.INSTALLED).count());
        assertEquals(500, offeredDevices(rollout.id()).size());

        // a C client written by others downloads the same image block-wise and gets the same bytes
        // absolute: Java resolves relative paths against user.dir, the child process against its working directory
        Path file = Files.createTempFile("coap-client", ".bin").toAbsolutePath();
        Process client = new ProcessBuilder(coapClient(), "-b", "1024", "-m", "get", "-o", file.toString(),
                "coap://127.0.0.1:" + coapPort() + "/fw/" + release.cid()).redirectErrorStream(true).start();
        String clientOutput = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("coap-client-notls did not finish", client.waitFor(60, TimeUnit.SECONDS));
        assertEquals(clientOutput, 0, client.exitValue());
        assertEquals("coap-client-notls wrote " + Files.size(file) + " bytes and printed: " + clientOutput,
                release.size(), Files.size(file));
        assertArrayEquals(release.sha256(), MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));

        // datagrams anyone on the network can send: answered or dropped as docs/coap-api.md says, and counted
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5000);
            InetSocketAddress platform = new InetSocketAddress("127.0.0.1", coapPort());
            byte[] tooShort = {0x40, 0x01};
            socket.send(new DatagramPacket(tooShort, tooShort.length, platform));
            // CON GET, message id 0x7A01, no token; Uri-Path "check", Uri-Path "a/b"
            byte[] slash = {0x40, 0x01, 0x7A, 0x01, (byte) 0xB5, 'c', 'h', 'e', 'c', 'k', 0x03, 'a', '/', 'b'};
            socket.send(new DatagramPacket(slash, slash.length, platform));
            DatagramPacket answer = new DatagramPacket(new byte[512], 512);
            socket.receive(answer);
            byte[] a = answer.getData();
            assertEquals("an ACK of message 0x7A01", List.of(0x60, 0x7A, 0x01), List.of(a[0] & 0xFF, a[2] & 0xFF,
                    a[3] & 0xFF));
            assertEquals("4.00 to a Uri-Path segment holding '/'", 0x80, a[1] & 0xFF);
        }
        String status = executeCommand("updraft:status");
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                !status.contains("short-datagram 1") && System.nanoTime() < deadline; Thread.sleep(50)) {
            status = executeCommand("updraft:status");
        }
        assertTrue(status, status.contains("malformed input: ") && status.contains("bad-path 1")
                && status.contains("short-datagram 1"));
    }

    @Test
    public void aCanaryOverItsErrorThresholdPausesTheRolloutAndNoOtherDeviceIsOffered() throws Exception {
        String out = executeCommand("updraft:demo --devices 100 --boot-failures 1 --loss 0 --offline 0 --quiet",
                Duration.ofMinutes(4));
        RolloutService rollouts = waitForService(RolloutService.class);
        Rollout rollout = latest(rollouts);
        assertEquals(out, RolloutState.PAUSED, rollout.state());
        assertTrue(rollout.reason(), rollout.reason().contains("canary"));

        Set<String> canaries = new HashSet<>(((WaveSelector.Devices) rollout.waves().get(0).selector()).ids());
        assertEquals(5, canaries.size());
        Set<String> offered = offeredDevices(rollout.id());
        assertFalse("the canaries were offered the release", offered.isEmpty());
        assertTrue("only canaries were offered the release, the ledger shows " + offered, canaries.containsAll(offered));
        Map<String, DeviceState> reported = latestReports(rollout.id());
        assertTrue(reported.toString(), canaries.containsAll(reported.keySet()));
        assertTrue(reported.toString(), reported.values().stream().allMatch(DeviceState::isFailure));

        Release release = waitForService(ReleaseService.class).find(rollout.releaseId()).orElseThrow();
        DeviceRegistry registry = waitForService(DeviceRegistry.class);
        assertEquals("no device runs the new image", 0, registry.count(new DeviceFilter(release.vendor(),
                release.deviceClass(), null, Set.of(), null, "[2.0.0,)")));
        assertEquals(100, registry.count(new DeviceFilter(release.vendor(), release.deviceClass(), null, Set.of(),
                null, "[1.0.0,2.0.0)")));
    }

    private static Rollout latest(RolloutService rollouts) {
        List<Rollout> all = rollouts.list();
        return all.get(all.size() - 1);
    }

    /** Devices the ledger says were offered the rollout's release. */
    private Set<String> offeredDevices(String rolloutId) throws Exception {
        Set<String> devices = new HashSet<>();
        for (LedgerEntry entry : ledgerEvents(EventTypes.ROLLOUT_OFFERED)) {
            RolloutEvents.Offered offered = (RolloutEvents.Offered) RolloutEvents.decode(entry.event().type(),
                    entry.event().payload());
            if (offered.rollout().equals(rolloutId)) {
                devices.add(offered.device());
            }
        }
        return devices;
    }

    /** Each device's latest signed report about the rollout, from the ledger. */
    private Map<String, DeviceState> latestReports(String rolloutId) throws Exception {
        Map<String, DeviceState> states = new HashMap<>();
        for (LedgerEntry entry : ledgerEvents(EventTypes.DEVICE_REPORTED)) {
            SignedReport report = DeviceEvents.decodeReported(entry.event().payload());
            if (rolloutId.equals(report.report().rolloutId())) {
                states.put(report.report().deviceId(), report.report().state());
            }
        }
        return states;
    }

    private static String coapClient() {
        Path binary = Path.of("/usr/bin/coap-client-notls");
        if (!Files.isExecutable(binary)) {
            throw new AssertionError(binary + " is missing: run .ci/setup (it installs Debian's libcoap3-bin)");
        }
        return binary.toString();
    }

}
