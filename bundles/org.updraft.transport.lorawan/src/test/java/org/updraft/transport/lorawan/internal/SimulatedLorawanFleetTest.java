package org.updraft.transport.lorawan.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.DeviceState;
import org.updraft.api.release.Release;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;
import org.updraft.testing.Configs;
import org.updraft.testing.Mosquitto;
import org.updraft.transport.lorawan.internal.LorawanTransport.Stage;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.DeviceOutcome;
import org.updraft.transport.lorawan.sim.SimulatedLorawanFleet.Summary;

/**
 * The exported simulated fleet (what {@code updraft:demo --transport lorawan} runs) against the transport on the real
 * platform and a real mosquitto: 50 devices whose radios lose 20% of the frames each way all rebuild, verify and
 * install the release, and their reports reach the ledger; what went on air is counted.
 */
class SimulatedLorawanFleetTest {

    @TempDir
    Path dir;

    // Disabled for a while as flaky (issue 14): one device of 20 ended one fragment short after 8 repair rounds with 54
    // received for M = 33. The cause was the engine's repairs against TS004 v1.0.0's rows, which at M = 33 rarely
    // separate uncoded fragments 18 and 29; FuotaSessionTest and FuotaSimulationTest show it in simulated time.
    // This is issue 14's case as the transport runs it: 50 devices at 20% loss, unicast (the transport opens no
    // multicast session yet; FuotaSimulationTest runs 50 devices multicast).
    @Test
    void fiftyDevicesAtTwentyPercentLossInstallAndReport() throws Exception {
        int n = Integer.getInteger("fleet.n", 50);
        // 50 devices' unicast sessions share the gateway's duty cycle: about 10,000 s of session time, 25 s at 400x
        double speedup = Double.parseDouble(System.getProperty("fleet.speedup", "400"));
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                FuotaPlatform platform = new FuotaPlatform(dir.resolve("platform"))) {
            SimulatedLorawanFleet.Builder builder = SimulatedLorawanFleet.builder(broker.uri(), "demo-app")
                    .trust(platform.logKey(), platform.deviceTrust()).statementKey(platform.updates.statementKey())
                    .speedup(speedup).dataRate(5).loss(0.2).seed(7);
            for (int i = 0; i < n; i++) {
                String devEui = String.format("70b3d5000000%04x", i);
                SigningKey key = SigningKey.generate(KeyAlgorithm.ED25519);
                platform.register(devEui, key, Set.of("lorawan"));
                builder.device(devEui, key, FuotaPlatform.VENDOR, FuotaPlatform.CLASS, "1.0.0", 1);
            }
            byte[] image = new byte[Integer.getInteger("fleet.image", 6000)];
            new Random(3).nextBytes(image);
            Release release = platform.publish(image, 2);
            try (SimulatedLorawanFleet fleet = builder.start()) {
                platform.rollout(release);
                // at 20% loss each way a round trip fails 36% of the time: 8 tries leave each of 50 devices a 0.03%
                // chance of ending failed at its setup and as much in its status rounds, 3% a run; 12 leave 0.05%.
                // The answer timeout is scaled with the speedup: 30 s of session time would be 75 ms here, in which
                // the broker, the simulated radio and the transport's thread must pass the frame and its answer
                Map<String, Object> settings = new LinkedHashMap<>(Map.of("broker.uri", broker.uri(),
                        "application.id", "demo-app", "clock.speedup", speedup, "scan.interval.seconds", 3600,
                        "max.attempts", 12, "repair.rounds", 8, "answer.timeout.seconds", 60));
                settings.put("state.file", dir.resolve("devices.state").toString());
                LorawanTransport t = new LorawanTransport(Configs.of(LorawanTransportConfig.class, settings),
                        platform.updates);
                try {
                    t.bindRegistry(platform.registry);
                    t.bindStore(platform.store);
                    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                    while (System.nanoTime() < until && t.deliveries().values().stream()
                            .filter(d -> d.stage() == Stage.INSTALLED).count() < n) {
                        Thread.sleep(200);
                    }
                    Summary s = fleet.summary();
                    System.out.println("simulated fleet: " + s.fragments() + " fragments (" + s.codedFragments()
                            + " coded), " + s.downlinks() + " downlinks, " + s.downlinksLostOnAir() + " lost on air, "
                            + "airtime " + s.airtimeMicros() / 1e6 + " s; transport " + t.status());
                    for (DeviceOutcome d : s.devices()) {
                        assertEquals(DeviceState.INSTALLED, d.state(), d + "; " + t.deliveries());
                        assertEquals("2.0.2", d.version());
                        assertEquals(Stage.INSTALLED, t.deliveries().get(d.devEui()).stage());
                        assertEquals(2, platform.device(d.devEui()).installedSequence());
                    }
                    assertTrue(s.downlinksLostOnAir() > 0, "the radios lost frames");
                    assertTrue(s.codedFragments() > 0, "lost fragments were made up by coded ones");
                    assertTrue(s.fragmentAirtimeMicros() > 0 && s.fragmentAirtimeMicros() <= s.airtimeMicros());
                    assertEquals(List.of(), s.problems());
                } finally {
                    t.close();
                }
            }
        }
    }
}
