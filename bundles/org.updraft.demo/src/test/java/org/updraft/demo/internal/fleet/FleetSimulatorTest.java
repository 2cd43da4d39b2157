package org.updraft.demo.internal.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.updraft.api.device.Device;
import org.updraft.api.device.DeviceState;
import org.updraft.device.SimulatedDevice;
import org.updraft.device.OneReleaseUpdates;
import org.updraft.testing.Mosquitto;

/**
 * A small fleet over lossy loopback UDP against the real CoAP transport, and a mixed one through a real mosquitto too:
 * every device ends its update.
 */
class FleetSimulatorTest {

    @TempDir
    Path dir;

    @Test
    void twoHundredDevicesWithLossOutagesAndBadImagesAllFinish() throws Exception {
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir, 8 * 1024, false)) {
            List<SimulatedDevice> fleet = FleetProvisioning.builder(OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS,
                    platform.ledger.logKey(), platform.trust()).statementKey(platform.statementKey())
                    .regions(List.of("eu-west", "us-east", "ap-south"))
                    .tag("beta", 0.1).generate(200);
            List<Device> records = FleetProvisioning.devices(fleet, java.time.Instant.now());
            assertEquals(200, records.stream().map(Device::id).distinct().count());
            assertEquals(67, records.stream().filter(d -> "eu-west".equals(d.region())).count());
            fleet.forEach(platform::register);

            FleetConfig config = FleetConfig.builder(platform.address()).blockSize(512).lossShare(0.05)
                    .bootFailureShare(0.05).corruptShare(0.03).offline(0.05, Duration.ofMillis(800))
                    .ackTimeout(Duration.ofMillis(200)).agentsPerEndpoint(25).startSpread(Duration.ofMillis(500))
                    .progressInterval(Duration.ofMillis(500)).deadline(Duration.ofMinutes(3)).seed(11).build();
            List<FleetProgress> seen = new CopyOnWriteArrayList<>();
            FleetSummary summary;
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                summary = simulator.onProgress(seen::add).run();
            }
            System.out.println("fleet of 200, 8 KiB image, 512-byte blocks, 5% loss: " + summary);

            assertEquals(0, summary.unfinished(), summary.toString());
            assertEquals(200, summary.updated() + summary.failed() + summary.rolledBack());
            assertTrue(summary.rolledBack() > 0 && summary.failed() > 0, summary.toString());
            assertEquals(Map.of("boot-failed", summary.rolledBack(), "digest-mismatch", summary.failed()),
                    summary.reasons());
            assertTrue(summary.datagramsDropped() > 0);
            // what the devices say is what the platform recorded
            long installedReports = platform.reports.stream().filter(r -> r.state() == DeviceState.INSTALLED)
                    .count();
            assertEquals(summary.updated(), installedReports);
            long updatedDevices = fleet.stream().filter(d -> d.flash().running().sequence() == 2).count();
            assertEquals(summary.updated(), updatedDevices);
            assertEquals(summary.updated(), seen.get(seen.size() - 1).count(DeviceState.INSTALLED));
            // updated devices keep one shared copy of the image
            assertTrue(fleet.stream().filter(d -> d.flash().running().sequence() == 2)
                    .map(d -> d.flash().running().bytes()).distinct().count() == 1);
        }
    }

    @Test
    void aFleetOverDtlsWithLossFinishesAndLosesNoAnswerToItsOwnMatching() throws Exception {
        try (OneReleaseUpdates platform = new OneReleaseUpdates(dir, 8 * 1024, false, true)) {
            List<SimulatedDevice> fleet = FleetProvisioning.builder(OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS,
                    platform.ledger.logKey(), platform.trust()).statementKey(platform.statementKey()).generate(60);
            fleet.forEach(platform::register);
            FleetConfig config = FleetConfig.builder(platform.dtlsAddress()).dtls(platform.dtlsKey()).blockSize(512)
                    .lossShare(0.03).startSpread(Duration.ofMillis(500)).progressInterval(Duration.ofMillis(500))
                    .deadline(Duration.ofMinutes(3)).seed(5).build();
            FleetSummary summary;
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                summary = simulator.run();
            }
            System.out.println("fleet of 60 over DTLS, 8 KiB image, 512-byte blocks, 3% loss: " + summary);
            assertEquals(60, summary.updated(), summary.toString());
            assertTrue(summary.datagramsDropped() > 0, summary.toString());
            // CoAP's retransmissions make up for every lost datagram: no block is asked for again. When loss was
            // simulated above DTLS, the answer to a request "lost" that way came in a DTLS context the request never
            // had, Californium's strict matching dropped it, and the device asked again once CoAP gave up (here 23
            // block retries and 9.4 s instead of 5.5 s; 1000 devices in the quickstart: 148 s instead of 42 s)
            assertTrue(summary.blockRetries() <= 2, summary.toString());
        }
    }

    @Test
    void aMixedFleetUpdatesHalfOverCoapAndHalfOverMqttFromOnePlatform() throws Exception {
        try (Mosquitto broker = Mosquitto.start(dir.resolve("broker"));
                OneReleaseUpdates platform = new OneReleaseUpdates(dir.resolve("platform"), 8 * 1024, false)) {
            platform.serveMqtt(broker.uri(), false);
            List<SimulatedDevice> fleet = FleetProvisioning.builder(OneReleaseUpdates.VENDOR, OneReleaseUpdates.CLASS,
                    platform.ledger.logKey(), platform.trust()).generate(40);
            fleet.forEach(platform::register);

            FleetConfig config = FleetConfig.builder(platform.address()).mqtt(FleetTransport.BOTH, broker.uri())
                    .blockSize(512).ackTimeout(Duration.ofMillis(200)).startSpread(Duration.ofMillis(300))
                    .deadline(Duration.ofMinutes(2)).seed(5).build();
            FleetSummary summary;
            try (FleetSimulator simulator = new FleetSimulator(config, fleet)) {
                summary = simulator.run();
            }

            assertEquals(40, summary.updated(), summary.toString());
            assertEquals(40, platform.reports.stream().filter(r -> r.state() == DeviceState.INSTALLED).count());
            // every second device connected to the broker as itself, the others never did
            String log = broker.log();
            for (int i = 0; i < fleet.size(); i++) {
                String id = fleet.get(i).id();
                boolean connected = log.contains(" as " + id + " ");
                assertEquals(i % 2 == 1, connected, id + " over MQTT: " + connected);
            }
        }
    }

    @Test
    void aFleetOnMqttNeedsABrokerAndAnUnknownTransportIsNamed() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> FleetConfig.mqttOnly(" "));
        assertTrue(none.getMessage().contains("broker"), none.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> FleetTransport.of("http"));
        assertEquals("the transport is coap, mqtt or both, not 'http'", unknown.getMessage());
    }
}
