package org.updraft.transport.lorawan.internal;

import static org.updraft.transport.lorawan.internal.FuotaPlatform.await;
import static org.updraft.transport.lorawan.internal.FuotaPlatform.settled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.transport.lorawan.internal.LorawanTransport.Delivery;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.internal.sim.ChirpstackRadio;
import org.updraft.transport.lorawan.internal.sim.SimulatedDevice;
import org.updraft.transport.lorawan.internal.sim.VerifyingFirmware;

/**
 * The LoRaWAN transport on the real platform (ledger, trust, releases, rollout engine, update service, JDBC registry,
 * local store) and a real mosquitto, with ChirpStack and LoRaWAN devices simulated on the broker's far side: a
 * rollout reaches the tagged devices by FUOTA, each verifies the offer and the image itself, and its signed report,
 * sent back as uplinks, is what puts it on the ledger and the registry. Sessions run 50 times faster than real time.
 */
class LorawanTransportTest {

    private static final double SPEEDUP = 50;

    @TempDir
    Path dir;

    private RadioBench bench;
    private FuotaPlatform platform;
    private Map<String, VerifyingFirmware> firmware;

    @BeforeEach
    void start() throws Exception {
        bench = new RadioBench(dir, SPEEDUP);
        platform = bench.platform;
        firmware = bench.firmware;
    }

    @AfterEach
    void stop() throws Exception {
        bench.close();
    }

    private String lorawanDevice(int n) throws Exception {
        return lorawanDevice(n, FuotaPlatform.VENDOR);
    }

    /** A device the registry knows as acme's thermo, whose firmware is {@code vendor}'s. */
    private String lorawanDevice(int n, String vendor) throws Exception {
        String devEui = String.format("70b3d57ed0%06x", n);
        bench.device(devEui, vendor, "1.0.0", 1, UnaryOperator.identity());
        return devEui;
    }

    private byte[] image(int size) {
        byte[] image = new byte[size];
        bench.random.nextBytes(image);
        return image;
    }

    private ChirpstackRadio network() throws Exception {
        return bench.network();
    }

    private LorawanTransport transport(Map<String, Object> extra) {
        return bench.transport(extra);
    }

    @Test
    void aRolloutReachesTheTaggedDevicesAndTheirSignedReportsLandOnTheLedger() throws Exception {
        List<String> lorawan = List.of(lorawanDevice(1), lorawanDevice(2), lorawanDevice(3));
        // a CoAP device of the same class: the rollout targets it too, the LoRaWAN transport must leave it alone
        platform.register("thermo-coap-1", SigningKey.generate(KeyAlgorithm.ED25519), Set.of());
        Release release = platform.publish(image(1500), 2);
        platform.rollout(release);
        long reportsBefore = platform.reportsOnLedger();
        ChirpstackRadio net = network();

        LorawanTransport t = transport(Map.of());
        await("every device's report", Duration.ofSeconds(60), () -> settled(t, 3));

        assertEquals(List.of(), net.problems);
        for (String id : lorawan) {
            assertEquals(Stage.INSTALLED, t.deliveries().get(id).stage(), t.deliveries().toString());
            assertEquals(release.id(), t.deliveries().get(id).releaseId());
            assertEquals(DeviceState.INSTALLED, firmware.get(id).state(), id + ": " + firmware.get(id).reason());
            Device d = platform.device(id);
            assertEquals(DeviceState.INSTALLED, d.state(), id);
            assertEquals(2, d.installedSequence(), id);
        }
        assertEquals(reportsBefore + 3, platform.reportsOnLedger(), "one device.reported event each");
        Device coap = platform.device("thermo-coap-1");
        assertEquals(DeviceState.IDLE, coap.state());
        assertNull(t.deliveries().get("thermo-coap-1"));
        System.out.println("LoRaWAN transport: " + t.status() + "; refused " + t.refused());
    }

    @Test
    void aBlockPassedOnToADeviceItWasNotForOrAfterTheSessionIsRefusedUnreported() throws Exception {
        String member = lorawanDevice(1);
        lorawanDevice(2);
        AtomicReference<byte[]> captured = new AtomicReference<>();
        VerifyingFirmware memberFirmware = firmware.get(member);
        bench.radios.put(member, new SimulatedDevice(member, (block, at) -> {
            captured.set(block);
            return memberFirmware.rebuilt(block, at);
        }, Duration.ZERO, 1 << 16, bench.random));
        Release release = platform.publish(image(1500), 2);
        platform.rollout(release);
        network();
        LorawanTransport t = transport(Map.of());
        await("both devices' reports", Duration.ofSeconds(60), () -> settled(t, 2));
        assertEquals(Stage.INSTALLED, t.deliveries().get(member).stage(), t.deliveries().toString());
        byte[] block = captured.get();

        // a network server passes the block on to a device of the same class that was not in the session
        String outsider = String.format("70b3d57ed0%06x", 9);
        SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
        platform.register(outsider, key, Set.of());
        VerifyingFirmware other = new VerifyingFirmware(outsider, key, FuotaPlatform.VENDOR, FuotaPlatform.CLASS,
                null, platform.logKey(), platform.deviceTrust(), "1.0.0", 1, 203, RadioBench.REPORT_FRAME)
                .statementKey(platform.updates.statementKey());
        assertEquals(List.of(), other.rebuilt(block, Instant.now()), "nothing reported to whoever sent it");
        assertEquals(DeviceState.FAILED, other.state());
        assertTrue(other.reason().startsWith("unvouched: ") && other.reason().contains("does not name device "
                + outsider), other.reason());
        assertEquals(1, other.sequence(), "it runs what it ran");

        // the member's own block, kept and replayed after the session's statement expired (the transport's
        // session.timeout.hours, 48 by default)
        VerifyingFirmware later = new VerifyingFirmware(member, SigningKey.generate(KeyAlgorithm.ED25519),
                FuotaPlatform.VENDOR, FuotaPlatform.CLASS, null, platform.logKey(), platform.deviceTrust(), "1.0.0",
                1, 203, RadioBench.REPORT_FRAME).statementKey(platform.updates.statementKey());
        assertEquals(List.of(), later.rebuilt(block, Instant.now().plus(Duration.ofHours(49))));
        assertTrue(later.reason().startsWith("unvouched: ") && later.reason().contains("expired"), later.reason());
        // and while it holds, the same block is what a member installs
        VerifyingFirmware inTime = new VerifyingFirmware(member, SigningKey.generate(KeyAlgorithm.ED25519),
                FuotaPlatform.VENDOR, FuotaPlatform.CLASS, null, platform.logKey(), platform.deviceTrust(), "1.0.0",
                1, 203, RadioBench.REPORT_FRAME).statementKey(platform.updates.statementKey());
        assertFalse(inTime.rebuilt(block, Instant.now()).isEmpty());
        assertEquals(DeviceState.INSTALLED, inTime.state(), inTime.reason());
    }

    @Test
    void aTamperedFragmentIsRefusedByItsDeviceWhichReportsTheFailure() throws Exception {
        String honest = lorawanDevice(1);
        String victim = lorawanDevice(2);
        Release release = platform.publish(image(1500), 2);
        platform.rollout(release);
        ChirpstackRadio net = network();
        net.tamper(victim);

        LorawanTransport t = transport(Map.of());
        await("both devices' reports", Duration.ofSeconds(60), () -> settled(t, 2));

        assertEquals(Stage.INSTALLED, t.deliveries().get(honest).stage(), t.deliveries().toString());
        Delivery refused = t.deliveries().get(victim);
        assertEquals(Stage.REPORTED_FAILURE, refused.stage(), t.deliveries().toString());
        // the rebuilt block was complete (nothing missing): the device's own check of the image refused it
        assertNotEquals(null, refused.reason());
        assertEquals(firmware.get(victim).reason(), refused.reason());
        Device d = platform.device(victim);
        assertEquals(DeviceState.FAILED, d.state());
        assertEquals(1, d.installedSequence(), "it still runs what it ran");
        assertEquals(1, firmware.get(victim).sequence());
        System.out.println("tampered fragment: the device refused it as " + refused.reason());
    }

    @Test
    void anotherVendorsOfferIsRefusedByTheDeviceThoughItsSignerIsTrusted() throws Exception {
        // globex's gateway, registered by mistake as acme's thermo; it trusts acme's key (it relays for acme's
        // sensors), so only its own vendor check stands between it and acme's firmware
        String acme = lorawanDevice(1);
        String globex = lorawanDevice(2, "globex");
        Release release = platform.publish(image(1500), 2);
        platform.rollout(release);
        network();

        LorawanTransport t = transport(Map.of());
        await("both devices' reports", Duration.ofSeconds(60), () -> settled(t, 2));

        assertEquals(Stage.INSTALLED, t.deliveries().get(acme).stage(), t.deliveries().toString());
        Delivery refused = t.deliveries().get(globex);
        assertEquals(Stage.REPORTED_FAILURE, refused.stage(), t.deliveries().toString());
        assertEquals("wrong-vendor", refused.reason());
        Device d = platform.device(globex);
        assertEquals(DeviceState.FAILED, d.state());
        assertEquals(1, d.installedSequence());
        assertEquals(1, firmware.get(globex).sequence(), "it still runs what it ran");
    }

    @Test
    void aDeviceThatRebuildsTheBlockButNeverReportsIsNotCountedAsUpdated() throws Exception {
        String reporting = lorawanDevice(1);
        String silent = lorawanDevice(2);
        firmware.get(silent).silent();
        Release release = platform.publish(image(1500), 2);
        platform.rollout(release);
        network();

        LorawanTransport t = transport(Map.of());
        await("the reporting device's report", Duration.ofSeconds(60),
                () -> t.deliveries().containsKey(reporting) && t.deliveries().get(reporting).stage() == Stage.INSTALLED
                        && t.deliveries().get(silent).stage() == Stage.AWAITING_REPORT);
        // it answered the last status request with nothing missing, and installed; without a report that is no update
        assertEquals(DeviceState.INSTALLED, firmware.get(silent).state());
        t.expireReportsNow();
        await("the silent device's report timeout", Duration.ofSeconds(10),
                () -> t.deliveries().get(silent).stage() == Stage.UNDELIVERED);
        assertEquals("no report", t.deliveries().get(silent).reason());
        Device d = platform.device(silent);
        assertNotEquals(DeviceState.INSTALLED, d.state());
        assertEquals(1, d.installedSequence());
    }

    @Test
    void anImageTooLargeForTs004IsRefusedBeforeAnythingIsSentOrRead() throws Exception {
        String device = lorawanDevice(1);
        // 10-byte fragments: 16,383 of them hold 163,830 bytes, half of that leaves room for redundancy
        Release release = platform.publish(image(100_000), 2);
        platform.rollout(release);
        ChirpstackRadio net = network();

        LorawanTransport t = transport(Map.of("fragment.size", 10));
        await("the refusal", Duration.ofSeconds(30), () -> t.deliveries().containsKey(device));

        Delivery refused = t.deliveries().get(device);
        assertEquals(Stage.UNDELIVERED, refused.stage());
        assertEquals("image too large for a FUOTA session", refused.reason());
        Thread.sleep(500);
        assertEquals(0, net.downlinks.get(), "nothing was sent");
    }

    /*
     * Flaky before (about 1 run in 5): the transport is often back on the broker before the simulated ChirpStack has
     * subscribed again, and its downlinks went nowhere (the broker's PUBACK says "no matching subscribers"): the
     * fragments and status requests sent meanwhile were lost, and every status round a device could not answer was
     * counted as a repair round, so a device whose answers only came through in the last round ended failed having
     * received nothing after the outage. Now a frame nobody took pauses the session until one is taken, and a round
     * without answers is not a repair round.
     */
    @Test
    void aBrokerOutagePausesTheSessionWhichResumesAndCompletes() throws Exception {
        outage(Duration.ZERO);
    }

    @Test
    void aNetworkServerStillAwayAfterTheBrokerOutageAlsoPausesTheSession() throws Exception {
        // ChirpStack subscribes again 8 s (400 s of session time) after it is back on the broker, the transport well
        // before: without the pause, the rest of the fragments and 6 rounds of status requests would go nowhere
        ChirpstackRadio net = outage(Duration.ofSeconds(8));
        assertTrue(transport.refused().getOrDefault("not-taken", 0L) >= 1, "frames nobody took: " + transport.refused()
                + "; the network subscribed again " + net.resubscribed.get() + " time(s)");
    }

    private LorawanTransport transport;

    private ChirpstackRadio outage(Duration networkAbsent) throws Exception {
        List<String> lorawan = List.of(lorawanDevice(1), lorawanDevice(2));
        Release release = platform.publish(image(3000), 2);
        platform.rollout(release);
        ChirpstackRadio net = network();
        net.absentAfterReconnect(networkAbsent);

        LorawanTransport t = transport(Map.of());
        transport = t;
        // in the middle of the fragments
        await("fragments flowing", Duration.ofSeconds(30), () -> net.downlinks.get() >= 12);
        bench.broker.stop();
        Thread.sleep(3000);
        bench.broker.start();
        await("every device's report", Duration.ofSeconds(90), () -> settled(t, 2));

        for (String id : lorawan) {
            assertEquals(Stage.INSTALLED, t.deliveries().get(id).stage(), t.deliveries() + "; the network "
                    + "subscribed again " + net.resubscribed.get() + " time(s); its problems: " + net.problems);
            assertEquals(2, platform.device(id).installedSequence());
        }
        // 3 s of outage are 150 s of session time, some 40 frames at DR5 and 10%: none was sent into the outage
        // (one may have left as the connection broke)
        long sendFailed = t.refused().getOrDefault("send-failed", 0L);
        assertTrue(sendFailed <= 1, "frames sent into the outage: " + sendFailed + " " + t.refused());
        assertTrue(t.pauses() >= 1, "the session paused for the outage");
        System.out.println("broker outage: " + t.pauses() + " pause(s), refused " + t.refused()
                + "; uplinks lost in the outage " + net.uplinksLost.get());
        return net;
    }
}
